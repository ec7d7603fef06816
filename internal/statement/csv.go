package statement

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/glint-economy/glint/internal/money"
	"github.com/govalues/decimal"
)

// WriteCSV writes s to w in the CSV layout described in the package doc.
// It returns an error wrapping ErrInvalid when s does not pass Validate
// (nothing is written then), or the write error of w.
func WriteCSV(w io.Writer, s *Statement) error {
	if err := s.Validate(); err != nil {
		return err
	}
	scale, _ := money.Scale(s.Currency) // checked by Validate
	fiat := func(units int64) string { return money.Format(units, scale) }

	cw := csv.NewWriter(w)
	rows := [][]string{
		{"field", "value"},
		{"creator_id", text(s.CreatorID)},
		{"display_name", text(s.DisplayName)},
		{"country", text(s.Country)},
		{"year", strconv.Itoa(s.Year)},
		{"currency", string(s.Currency)},
		{"platform", text(s.Platform)},
		{"generated_at", timestamp(s.GeneratedAt)},
		{"diamond_value", rate(s.DiamondValue)},
		{"commission", rate(s.Commission)},
		{"diamonds_per_coin", rate(s.DiamondsPerCoin)},
		{"threshold", fiat(s.Threshold)},
		{"threshold_reached", yesNo(s.ThresholdReached)},
		nil,
		{"month", "gifts", "diamonds", "gross", "commission", "net", "paid"},
	}
	monthRow := func(label string, m Month) []string {
		return []string{
			label,
			strconv.FormatInt(m.Gifts, 10),
			money.FormatAsset(m.Diamonds, money.Diamond),
			fiat(m.Gross),
			fiat(m.Commission),
			fiat(m.Net),
			fiat(m.Paid),
		}
	}
	for i, m := range s.Months {
		rows = append(rows, monthRow(fmt.Sprintf("%04d-%02d", s.Year, i+1), m))
	}
	rows = append(rows,
		monthRow("total", s.Total),
		nil,
		[]string{"withdrawal_id", "paid_at", "diamonds", "net", "amount", "currency", "method"},
	)
	for _, p := range s.Payouts {
		pscale, _ := money.Scale(p.Currency) // checked by Validate
		rows = append(rows, []string{
			text(p.WithdrawalID),
			timestamp(p.PaidAt),
			money.FormatAsset(p.Diamonds, money.Diamond),
			fiat(p.Net),
			money.Format(p.Amount, pscale),
			string(p.Currency),
			text(p.Method),
		})
	}
	if err := cw.WriteAll(rows); err != nil { // WriteAll flushes
		return fmt.Errorf("statement: write csv: %w", err)
	}
	return nil
}

// text guards a free-text value against spreadsheet formula injection: a
// value starting with a character that a spreadsheet reads as the start of
// a formula gets a leading apostrophe (OWASP's advice for CSV exports).
func text(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// timestamp writes t in RFC 3339, in UTC; the zero time is written empty.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// rate normalises a rate of the economy file ("0.50" → "0.5"). Validate has
// checked that it parses.
func rate(v string) string {
	d, err := decimal.Parse(v)
	if err != nil {
		return v
	}
	return d.Trim(0).String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
