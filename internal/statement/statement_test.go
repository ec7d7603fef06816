package statement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/money"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The economy of every fixture: 1 diamond = 0.005 USD, 50% commission.
var (
	diamondValue = decimal.MustParse("0.005")
	creatorShare = decimal.MustParse("0.5") // 1 - commission
)

// month builds one month the way the cash-out service does: gross is the
// diamonds' value rounded to the cent, the creator's net is Split off it and
// the platform keeps the rest (and the rounding remainder).
func month(t *testing.T, m time.Month, gifts, milli, paid int64) Month {
	t.Helper()
	gross, err := money.Convert(milli, 3, diamondValue, 2)
	if err != nil {
		t.Fatal(err)
	}
	net, commission, err := money.Split(gross, 2, creatorShare)
	if err != nil {
		t.Fatal(err)
	}
	return Month{Month: m, Gifts: gifts, Diamonds: milli, Gross: gross, Commission: commission, Net: net, Paid: paid}
}

// finish sets Total, Month numbers and ThresholdReached from the months.
func finish(t *testing.T, s *Statement) *Statement {
	t.Helper()
	var total Month
	for i := range s.Months {
		s.Months[i].Month = time.Month(i + 1)
		m := s.Months[i]
		for _, f := range []struct{ sum, v *int64 }{
			{&total.Gifts, &m.Gifts}, {&total.Diamonds, &m.Diamonds}, {&total.Gross, &m.Gross},
			{&total.Commission, &m.Commission}, {&total.Net, &m.Net}, {&total.Paid, &m.Paid},
		} {
			var err error
			if *f.sum, err = money.Add(*f.sum, *f.v); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Total = total
	s.ThresholdReached = total.Gross >= s.Threshold
	if err := s.Validate(); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return s
}

func base(year int) Statement {
	return Statement{
		Year:            year,
		Platform:        "seed",
		GeneratedAt:     time.Date(year+1, 1, 5, 9, 0, 0, 0, time.UTC),
		Currency:        "USD",
		DiamondValue:    "0.005",
		Commission:      "0.5",
		DiamondsPerCoin: "0.5",
		Threshold:       60000, // 600.00 USD
	}
}

// typical: gifts in six months, two payouts (EUR, GBP), threshold reached.
func typical(t *testing.T) *Statement {
	s := base(2026)
	s.CreatorID = "cr_7f3a9c"
	s.DisplayName = "Élodie Durand-Brontë"
	s.Country = "FR"
	s.Months[1] = month(t, 2, 120, 45_500_500, 0)
	s.Months[2] = month(t, 3, 340, 88_210_000, 25000)
	s.Months[4] = month(t, 5, 15, 1_200_500, 0)
	s.Months[6] = month(t, 7, 560, 130_004_000, 0)
	s.Months[7].Paid = 37500
	s.Months[9] = month(t, 10, 88, 20_000_000, 0)
	s.Months[11] = month(t, 12, 3, 12_500, 0)
	s.Payouts = []Payout{
		{
			WithdrawalID: "wd_01J8Z3K4M5", PaidAt: time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC),
			Diamonds: 100_000_000, Net: 25000, Amount: 23041, Currency: "EUR",
			Method: "PayPal j***@example.com",
		},
		{
			WithdrawalID: "wd_01J9A7Q2R8", PaidAt: time.Date(2026, 8, 14, 16, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
			Diamonds: 150_000_000, Net: 37500, Amount: 29618, Currency: "GBP",
			Method: "Bank transfer ****1234",
		},
	}
	return finish(t, &s)
}

// empty: a year with no earnings and no payouts.
func empty(t *testing.T) *Statement {
	s := base(2025)
	s.CreatorID = "cr_quiet"
	s.DisplayName = "Quiet Creator"
	return finish(t, &s)
}

// long: 80 payouts, enough to spread the payouts table over pages.
func long(t *testing.T) *Statement {
	s := base(2026)
	s.CreatorID = "cr_busy01"
	s.DisplayName = "Zoë Łukasiewicz"
	s.Country = "PL"
	for i := range s.Months {
		s.Months[i] = month(t, time.Month(i+1), 1000+int64(i)*17, 20_000_000+int64(i)*1_250_500, 0)
	}
	methods := []string{
		"PayPal z***@example.pl",
		"Bank transfer IBAN PL61 **** **** **** **** **** 0000 (mBank S.A., Warszawa)",
	}
	for k := range 80 {
		paid := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(k) * 109 * time.Hour)
		p := Payout{
			WithdrawalID: fmt.Sprintf("wd_%04d", k+1),
			PaidAt:       paid,
			Diamonds:     2_000_000,
			Net:          500,
			Amount:       1987,
			Currency:     "PLN",
			Method:       methods[k%2],
		}
		s.Payouts = append(s.Payouts, p)
		s.Months[paid.Month()-1].Paid += p.Net
	}
	return finish(t, &s)
}

var cases = []struct {
	name      string
	statement func(*testing.T) *Statement
	pages     int
}{
	{"typical", typical, 1},
	{"empty", empty, 1},
	{"long", long, 3},
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		if strings.HasSuffix(name, ".csv") {
			t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
		} else {
			t.Errorf("%s differs: got %d bytes, want %d (run go test -update and review)", path, len(got), len(want))
		}
	}
}

func render(t *testing.T, write func(*bytes.Buffer, *Statement) error, s *Statement) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func csvOf(b *bytes.Buffer, s *Statement) error { return WriteCSV(b, s) }
func pdfOf(b *bytes.Buffer, s *Statement) error { return WritePDF(b, s) }

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range []struct {
				ext   string
				write func(*bytes.Buffer, *Statement) error
			}{{"csv", csvOf}, {"pdf", pdfOf}} {
				first := render(t, f.write, c.statement(t))
				second := render(t, f.write, c.statement(t))
				if !bytes.Equal(first, second) {
					t.Errorf("%s: two renders of the same statement differ", f.ext)
				}
				golden(t, c.name+".golden."+f.ext, first)
			}
		})
	}
}

// readCSV parses a statement CSV and splits it into its three blocks by
// their header rows.
func readCSV(t *testing.T, data []byte) (fields map[string]string, months, payouts [][]string) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse back: %v", err)
	}
	fields = map[string]string{}
	var block string
	for _, rec := range records {
		switch rec[0] {
		case "field", "month", "withdrawal_id":
			block = rec[0]
			continue
		}
		switch block {
		case "field":
			if len(rec) != 2 {
				t.Fatalf("field row %q has %d columns", rec, len(rec))
			}
			fields[rec[0]] = rec[1]
		case "month":
			if len(rec) != 7 {
				t.Fatalf("month row %q has %d columns", rec, len(rec))
			}
			months = append(months, rec)
		case "withdrawal_id":
			if len(rec) != 7 {
				t.Fatalf("payout row %q has %d columns", rec, len(rec))
			}
			payouts = append(payouts, rec)
		default:
			t.Fatalf("row %q before any header", rec)
		}
	}
	return fields, months, payouts
}

func TestCSVProperties(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := c.statement(t)
			fields, months, payouts := readCSV(t, render(t, csvOf, s))

			want := map[string]string{
				"creator_id": s.CreatorID, "display_name": s.DisplayName, "country": s.Country,
				"year": fmt.Sprint(s.Year), "currency": "USD", "platform": s.Platform,
				"generated_at":  s.GeneratedAt.UTC().Format(time.RFC3339),
				"diamond_value": "0.005", "commission": "0.5", "diamonds_per_coin": "0.5",
				"threshold": "600.00", "threshold_reached": map[bool]string{true: "yes", false: "no"}[s.ThresholdReached],
			}
			if diff := cmp.Diff(want, fields); diff != "" {
				t.Errorf("field block (-want +got):\n%s", diff)
			}

			if len(months) != 13 {
				t.Fatalf("%d month rows, want 12 and a total", len(months))
			}
			// Every column parsed back exactly; the total row is the sum of
			// the twelve months, computed here from the CSV alone.
			scales := []int{0, 3, 2, 2, 2, 2} // gifts, diamonds, then cents
			var sums [6]int64
			for i, row := range months[:12] {
				if want := fmt.Sprintf("%d-%02d", s.Year, i+1); row[0] != want {
					t.Errorf("month row %d is %q, want %q", i, row[0], want)
				}
				for j, v := range row[1:] {
					var err error
					if sums[j], err = money.Add(sums[j], parse(t, v, scales[j])); err != nil {
						t.Fatal(err)
					}
				}
			}
			total := months[12]
			if total[0] != "total" {
				t.Fatalf("last month row is %q, want total", total[0])
			}
			for j, v := range total[1:] {
				if got := parse(t, v, scales[j]); got != sums[j] {
					t.Errorf("total column %d is %d, the months add up to %d", j+1, got, sums[j])
				}
			}
			if gross := parse(t, total[3], 2); (gross >= s.Threshold) != (fields["threshold_reached"] == "yes") {
				t.Errorf("threshold_reached %q disagrees with gross %d", fields["threshold_reached"], gross)
			}

			if len(payouts) != len(s.Payouts) {
				t.Fatalf("%d payout rows, want %d", len(payouts), len(s.Payouts))
			}
			var paid int64
			for i, row := range payouts {
				p := s.Payouts[i]
				if row[0] != p.WithdrawalID || row[5] != string(p.Currency) || row[6] != p.Method {
					t.Errorf("payout row %d is %q", i, row)
				}
				if at, err := time.Parse(time.RFC3339, row[1]); err != nil || !at.Equal(p.PaidAt) {
					t.Errorf("payout row %d paid_at %q, want %v (%v)", i, row[1], p.PaidAt, err)
				}
				amountScale, _ := money.Scale(p.Currency)
				if parse(t, row[2], 3) != p.Diamonds || parse(t, row[3], 2) != p.Net || parse(t, row[4], amountScale) != p.Amount {
					t.Errorf("payout row %d figures %q, want %+v", i, row[2:5], p)
				}
				paid += parse(t, row[3], 2)
			}
			if got := parse(t, total[6], 2); got != paid {
				t.Errorf("total paid %d, payouts' net adds up to %d", got, paid)
			}
		})
	}
}

func parse(t *testing.T, v string, scale int) int64 {
	t.Helper()
	n, err := money.Parse(v, scale)
	if err != nil {
		t.Fatalf("%q is not a decimal at scale %d: %v", v, scale, err)
	}
	return n
}

var pageObject = regexp.MustCompile(`/Type /Page\b`)

func TestPDFProperties(t *testing.T) {
	t.Parallel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := c.statement(t)
			pdf := render(t, pdfOf, s)
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("does not start with %%PDF-: %q", pdf[:min(len(pdf), 16)])
			}
			if !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
				t.Errorf("does not end with %s", "%%EOF")
			}
			pages := len(pageObject.FindAll(pdf, -1))
			if pages != c.pages {
				t.Errorf("%d pages, want %d", pages, c.pages)
			}
			for n := 1; n <= pages; n++ {
				if footer := fmt.Sprintf("(Page %d of %d)", n, pages); !bytes.Contains(pdf, []byte(footer)) {
					t.Errorf("no footer %q", footer)
				}
			}
			if bytes.Contains(pdf, []byte(pagesAlias)) {
				t.Error("the page-count alias was left in the document")
			}
			for _, want := range []string{
				fmt.Sprintf("(Earnings statement %d)", s.Year),
				"/CreationDate (D:" + s.GeneratedAt.UTC().Format("20060102150405") + ")",
				"(1 diamond = 0.005 USD)",
				"(Platform commission: 50% of gross)",
			} {
				if !bytes.Contains(pdf, []byte(want)) {
					t.Errorf("no %q in the PDF", want)
				}
			}
			note := bytes.Contains(pdf, []byte("(Reporting threshold reached)"))
			if note != s.ThresholdReached {
				t.Errorf("threshold note shown %t, ThresholdReached %t", note, s.ThresholdReached)
			}
			// The payouts table repeats its header on every page it spans.
			headers := bytes.Count(pdf, []byte("(Withdrawal)"))
			switch {
			case len(s.Payouts) == 0 && headers != 0:
				t.Errorf("payouts header drawn %d times with no payouts", headers)
			case len(s.Payouts) > 0 && headers != c.pages-firstPayoutPage(t, pdf)+1:
				t.Errorf("payouts header drawn %d times over %d pages", headers, c.pages)
			}
		})
	}
}

// firstPayoutPage is the number of the first page whose content draws the
// payouts table header (pages are written in order).
func firstPayoutPage(t *testing.T, pdf []byte) int {
	t.Helper()
	i := bytes.Index(pdf, []byte("(Withdrawal)"))
	return bytes.Count(pdf[:i], []byte("(Page ")) + 1
}

func TestNonLatinName(t *testing.T) {
	t.Parallel()
	s := typical(t)
	s.DisplayName = "Renée 日本 \x00\xff"
	pdf := render(t, pdfOf, s)
	// é is in Windows-1252 (0xE9); the rest is not and prints as "?".
	if want := "(Ren\xe9e ?? ??)"; !bytes.Contains(pdf, []byte(want)) {
		t.Errorf("no %q in the PDF", want)
	}
	_, _, _ = readCSV(t, render(t, csvOf, s))
	if c := render(t, csvOf, s); !bytes.Contains(c, []byte("display_name,Renée 日本")) {
		t.Errorf("the CSV does not keep the UTF-8 name:\n%s", c)
	}
}

func TestLongTextIsCut(t *testing.T) {
	t.Parallel()
	pdf := render(t, pdfOf, long(t))
	if bytes.Contains(pdf, []byte("Warszawa")) {
		t.Error("a method too long for its column was printed whole")
	}
	if !bytes.Contains(pdf, []byte("\x85)")) {
		t.Error("no cut text ends with an ellipsis")
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Statement)
	}{
		{"unknown currency", func(s *Statement) { s.Currency = "XYZ" }},
		{"no generation time", func(s *Statement) { s.GeneratedAt = time.Time{} }},
		{"year", func(s *Statement) { s.Year = 0 }},
		{"total is not the sum", func(s *Statement) { s.Total.Net++ }},
		{"threshold flag", func(s *Statement) { s.ThresholdReached = !s.ThresholdReached }},
		{"commission not a decimal", func(s *Statement) { s.Commission = "50%" }},
		{"month out of place", func(s *Statement) { s.Months[3].Month = time.June }},
		{"payout currency", func(s *Statement) { s.Payouts[0].Currency = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := typical(t)
			tt.mutate(s)
			for name, write := range map[string]func(*bytes.Buffer, *Statement) error{"csv": csvOf, "pdf": pdfOf} {
				var b bytes.Buffer
				if err := write(&b, s); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: error %v, want ErrInvalid", name, err)
				}
				if b.Len() != 0 {
					t.Errorf("%s: %d bytes written for an invalid statement", name, b.Len())
				}
			}
		})
	}
	if err := WriteCSV(&bytes.Buffer{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil statement: %v, want ErrInvalid", err)
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		f        func(string) string
		in, want string
	}{
		{percent, "0.5", "50%"},
		{percent, "0.125", "12.5%"},
		{percent, "0.30", "30%"},
		{percent, "0", "0%"},
		{percent, "1", "100%"},
		{rate, "0.0050", "0.005"},
		{group, "0.00", "0.00"},
		{group, "999.99", "999.99"},
		{group, "1000", "1,000"},
		{group, "1234567.89", "1,234,567.89"},
		{group, "-123456.5", "-123,456.5"},
		{text, "=SUM(A1)", "'=SUM(A1)"},
		{text, "-1", "'-1"},
		{text, "@x", "'@x"},
		{text, "Élodie", "Élodie"},
		{text, "", ""},
	} {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}
