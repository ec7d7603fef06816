package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/statement"
)

// reportRoutes registers a creator's earnings and statements and the
// platform's books. Without Config.Reports none is registered; without
// Config.Cashout the statements are left out (they list the withdrawals).
func (s *Server) reportRoutes() {
	if s.cfg.Reports == nil {
		return
	}
	register(s, op("get-earnings", http.MethodGet, "/v1/users/{user_id}/earnings", "A creator's earnings per day, week or month: diamonds received, their value, and payouts", true, "reports"), s.getEarnings)
	if s.cfg.Cashout != nil {
		o := op("get-statement", http.MethodGet, "/v1/users/{user_id}/statements/{file}", "A creator's yearly earnings statement, for tax: {year}.csv or {year}.pdf", true, "reports")
		o.Responses = map[string]*huma.Response{"200": {
			Description: "The statement, as CSV (text/csv) or PDF (application/pdf) by the file's extension",
			Content: map[string]*huma.MediaType{
				"text/csv":        {Schema: &huma.Schema{Type: huma.TypeString}},
				"application/pdf": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}},
			},
		}}
		register(s, o, s.getStatement)
	}
	register(s, op("admin-liabilities-report", http.MethodGet, "/v1/admin/reports/liabilities", "The platform's books at a point in time, reconciled: coins and diamonds outstanding, commission, payouts", true, "admin"), s.adminLiabilities)
}

type earningsInput struct {
	UserPath
	From     time.Time `query:"from" required:"true" doc:"Start of the range, inclusive (RFC 3339)"`
	To       time.Time `query:"to" required:"true" doc:"End of the range, exclusive (RFC 3339)"`
	Interval string    `query:"interval" enum:"day,week,month" default:"day" doc:"Buckets in UTC; weeks start on Monday. A daily range covers at most 366 days, others at most 10 years"`
}

type earningsOutput struct {
	Body *cashout.Breakdown
}

func (s *Server) getEarnings(ctx context.Context, in *earningsInput) (*earningsOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	if _, err := s.svc.GetUser(ctx, in.UserID); err != nil {
		return nil, err
	}
	e, err := cashout.Earnings(ctx, s.svc.Economy(), s.cfg.Reports, in.UserID, in.From, in.To, in.Interval)
	if err != nil {
		return nil, err
	}
	return &earningsOutput{Body: e}, nil
}

type statementInput struct {
	UserPath
	File string `path:"file" maxLength:"16" example:"2025.csv" doc:"The year and the format: 2025.csv or 2025.pdf"`
}

type statementOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// statementFormats are the formats of a statement, by file extension.
var statementFormats = map[string]struct {
	contentType string
	write       func(*bytes.Buffer, *statement.Statement) error
}{
	"csv": {"text/csv; charset=utf-8", func(b *bytes.Buffer, st *statement.Statement) error { return statement.WriteCSV(b, st) }},
	"pdf": {"application/pdf", func(b *bytes.Buffer, st *statement.Statement) error { return statement.WritePDF(b, st) }},
}

func (s *Server) getStatement(ctx context.Context, in *statementInput) (*statementOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	name, ext, _ := strings.Cut(in.File, ".")
	format, ok := statementFormats[ext]
	if !ok {
		return nil, newAPIError(http.StatusNotFound, "not_found", "statements are served as {year}.csv or {year}.pdf, not "+strconv.Quote(in.File), map[string]any{"file": in.File})
	}
	year, err := strconv.Atoi(name)
	if err != nil || len(name) != 4 {
		return nil, errInvalid("year", "the year of a statement is 4 digits, as in 2025."+ext)
	}
	st, err := s.cfg.Cashout.Statement(ctx, s.cfg.Reports, in.UserID, year)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := format.write(&b, st); err != nil {
		return nil, err
	}
	return &statementOutput{
		ContentType:        format.contentType,
		ContentDisposition: fmt.Sprintf(`attachment; filename="glint-statement-%s-%04d.%s"`, in.UserID, year, ext),
		Body:               b.Bytes(),
	}, nil
}

type liabilitiesInput struct {
	At time.Time `query:"at" doc:"The time of the books (RFC 3339); now when absent, which also checks them against the account balances"`
}

type liabilitiesOutput struct {
	Body *cashout.Report
}

// adminLiabilities answers the books. Books that do not reconcile are still
// 200 — the report is the answer, and its checks say what is wrong — with
// "reconciled": false, and are logged at ERROR: they mean a bug or a
// tampered database, which someone must look at.
func (s *Server) adminLiabilities(ctx context.Context, in *liabilitiesInput) (*liabilitiesOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	r, err := cashout.BuildReport(ctx, s.svc.Economy(), s.cfg.Reports, in.At)
	if err != nil {
		return nil, err
	}
	if !r.Reconciled {
		var failed []string
		for _, c := range r.Checks {
			if !c.OK {
				failed = append(failed, c.Name+": "+c.Detail)
			}
		}
		s.log.ErrorContext(ctx, "the books do not reconcile", slog.Time("at", r.At), slog.String("failed", strings.Join(failed, "; ")))
	}
	return &liabilitiesOutput{Body: r}, nil
}
