package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

// fxRoutes registers the admin FX routes: the table in force, a rate set by
// hand, an import of the ECB's reference rates. Without Config.FXStore they
// are left out.
func (s *Server) fxRoutes() {
	if s.cfg.FXStore == nil {
		return
	}
	register(s, op("admin-get-fx", http.MethodGet, "/v1/admin/fx", "The FX table in force: units of each currency per 1 USD, with each rate's day and source", true, "admin"), s.adminGetFX)
	register(s, op("admin-put-fx", http.MethodPut, "/v1/admin/fx/{currency}", "Set a currency's rate per 1 USD for a day; the newest day is in force", true, "admin"), s.adminPutFX)
	o := op("admin-import-fx", http.MethodPost, "/v1/admin/fx/import", "Import the ECB's euro reference rates (eurofxref-daily.xml), converted to rates per 1 USD", true, "admin")
	o.MaxBodyBytes = fx.MaxFetchBytes + 4<<10 // the XML, JSON-escaped
	register(s, o, s.adminImportFX)
}

// FXRow is one rate of the FX table.
type FXRow struct {
	Currency string `json:"currency" example:"EUR"`
	Rate     string `json:"rate" example:"0.9286" doc:"Units of the currency that 1 USD buys, an exact decimal string"`
	Date     string `json:"date" example:"2026-11-30" doc:"The day of the rate, YYYY-MM-DD"`
	Source   string `json:"source" doc:"Where the rate comes from"`
}

// FXTable is the FX table in force: every currency's newest rate.
type FXTable struct {
	Base  string  `json:"base" example:"USD" doc:"Every rate is quoted per 1 unit of this currency"`
	Date  string  `json:"date" example:"2026-11-30" doc:"The newest day of any rate"`
	Rates []FXRow `json:"rates" doc:"Sorted by currency; the base is not listed"`
}

func fxRow(r money.RateInfo) FXRow {
	return FXRow{Currency: string(r.Currency), Rate: r.Rate.String(), Date: r.Date, Source: r.Source}
}

func fxTable(r *money.Rates) FXTable {
	t := FXTable{Base: string(r.Base), Date: r.Date, Rates: []FXRow{}}
	for _, row := range r.Rows() {
		t.Rates = append(t.Rates, fxRow(row))
	}
	return t
}

type fxTableOutput struct {
	Body FXTable
}

func (s *Server) adminGetFX(ctx context.Context, _ *struct{}) (*fxTableOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	return &fxTableOutput{Body: fxTable(s.cfg.FX.Load())}, nil
}

type adminPutFXInput struct {
	Currency string `path:"currency" minLength:"3" maxLength:"3" doc:"ISO 4217 code" example:"EUR"`
	// PUT sets one row, currency and day: sending it again sets the same
	// row, so the key is accepted and not recorded.
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Optional. A PUT of the same body sets the same rate again; send the date, so that a retry on another day sets the same day's rate."`
	Body           struct {
		Rate   string `json:"rate" maxLength:"40" doc:"Units of the currency that 1 USD buys, a plain decimal string" example:"0.9286"`
		Date   string `json:"date,omitempty" maxLength:"10" doc:"The day of the rate, YYYY-MM-DD; today (UTC) when left out" example:"2026-12-01"`
		Source string `json:"source,omitempty" maxLength:"256" doc:"Where the rate comes from; \"manual\" when left out"`
	}
}

type fxPutOutput struct {
	Body struct {
		Stored  FXRow `json:"stored" doc:"The rate as stored"`
		InForce FXRow `json:"in_force" doc:"The currency's rate in force now: the stored one, unless a newer day's rate exists"`
	}
}

func (s *Server) adminPutFX(ctx context.Context, in *adminPutFXInput) (*fxPutOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return nil, errInvalid("currency", "unknown currency "+in.Currency)
	}
	rate, err := money.ParseRate(in.Body.Rate)
	if err != nil {
		return nil, errInvalid("rate", "rate: "+err.Error())
	}
	row := money.RateInfo{Currency: cur, Rate: rate, Date: in.Body.Date, Source: in.Body.Source}
	if row.Date == "" {
		row.Date = time.Now().UTC().Format(time.DateOnly)
	}
	if row.Source == "" {
		row.Source = "manual"
	}
	if err := s.setFX(ctx, []money.RateInfo{row}); err != nil {
		return nil, err
	}
	info, err := s.cfg.FX.Load().Info(cur)
	if err != nil {
		return nil, err
	}
	out := &fxPutOutput{}
	out.Body.Stored, out.Body.InForce = fxRow(row), fxRow(info)
	return out, nil
}

type adminImportFXInput struct {
	// Importing the same file again stores the same rows: the key is
	// accepted and not recorded.
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Optional. Importing the same file again stores the same rates again."`
	Body           struct {
		XML    string `json:"xml" minLength:"1" doc:"The ECB's reference-rates XML, as published at https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml (the 90-day history file works too)"`
		Source string `json:"source,omitempty" maxLength:"256" doc:"Where the XML comes from, stored with each rate; \"ECB reference rates\" when left out"`
	}
}

type fxImportOutput struct {
	Body struct {
		Imported int      `json:"imported" doc:"Rates per 1 USD stored: one per currency glint knows per day of the file"`
		Dates    []string `json:"dates" doc:"The days of the file"`
		InForce  FXTable  `json:"in_force" doc:"The FX table in force after the import"`
	}
}

// adminImportFX imports an ECB file sent in the body. The server does not
// fetch a URL given by the caller: it would be a request to anywhere the
// server can reach. `glint fx import URL` (or a cron with curl) fetches.
func (s *Server) adminImportFX(ctx context.Context, in *adminImportFXInput) (*fxImportOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	source := in.Body.Source
	if source == "" {
		source = "ECB reference rates"
	}
	rows, err := money.ParseECB(strings.NewReader(in.Body.XML), source)
	if err != nil {
		return nil, errInvalid("xml", err.Error())
	}
	if err := s.setFX(ctx, rows); err != nil {
		return nil, err
	}
	out := &fxImportOutput{}
	out.Body.Imported, out.Body.Dates = len(rows), []string{}
	for _, r := range rows {
		if n := len(out.Body.Dates); n == 0 || out.Body.Dates[n-1] != r.Date {
			out.Body.Dates = append(out.Body.Dates, r.Date)
		}
	}
	out.Body.InForce = fxTable(s.cfg.FX.Load())
	return out, nil
}

// setFX stores rows and puts the database's table in force; a row fx.Set
// refuses is a 400 naming the field.
func (s *Server) setFX(ctx context.Context, rows []money.RateInfo) error {
	err := fx.Set(ctx, s.cfg.FXStore, s.cfg.FX, rows)
	var ie *fx.InvalidError
	if errors.As(err, &ie) {
		return errInvalid(ie.Field, err.Error())
	}
	return err
}
