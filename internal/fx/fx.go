// Package fx keeps glint's FX table — how many units of each currency one
// US dollar buys — in the database, and puts it in force.
//
// The database keeps one row per currency per day, so the history stays; the
// table in force is every currency's newest row, built with money.NewRates
// and swapped into a *money.Live as a whole. Load reads it at start, seeding
// an empty database from a table file; Set stores rows an operator or an
// import gives, then puts the database's table in force; Fetch and Refresh
// import the European Central Bank's daily reference rates
// (money.ParseECB).
//
// A node puts in force what it reads from its own database. On PostgreSQL
// with several nodes, a node that did not make the change sees it when it
// calls Reload.
package fx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/glint-economy/glint/internal/money"
)

// Base is the currency every stored rate is quoted against: a row says how
// many units of its currency 1 USD buys.
const Base money.Asset = "USD"

// ECBDailyURL is where the ECB publishes the day's euro reference rates,
// around 16:00 CET on working days.
const ECBDailyURL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"

// MaxFetchBytes is the largest answer Fetch reads (1 MiB; the ECB's daily
// file is under 2 KiB, its 90-day history about 100 KiB).
const MaxFetchBytes = 1 << 20

// FetchTimeout bounds a Fetch, whatever the client's own timeout.
const FetchTimeout = 30 * time.Second

// SeedSource is the source Load stores for a seed row that names none.
const SeedSource = "seed table"

// MaxSourceLen is the longest source Set accepts, in bytes.
const MaxSourceLen = 256

// Store is where the FX table is kept: both storage engines' *DB.
type Store interface {
	// FXRates returns each currency's newest row, sorted by currency; none
	// when nothing is stored.
	FXRates(ctx context.Context) ([]money.RateInfo, error)
	// PutFXRates stores rows in one transaction; a row whose currency and
	// date are stored already replaces that row's rate and source.
	PutFXRates(ctx context.Context, rows []money.RateInfo) error
	// FXHistory returns a currency's rows, newest date first, at most limit
	// of them (all when limit ≤ 0).
	FXHistory(ctx context.Context, currency string, limit int) ([]money.RateInfo, error)
}

// InvalidError is a row Set refuses: its currency, the field at fault
// ("currency", "rate", "date", "source", or "rows" for the list itself) and
// why.
type InvalidError struct {
	Currency money.Asset
	Field    string
	Reason   string
}

func (e *InvalidError) Error() string {
	if e.Currency == "" {
		return "fx: " + e.Field + ": " + e.Reason
	}
	return "fx: " + string(e.Currency) + ": " + e.Field + ": " + e.Reason
}

// Unique returns an *InvalidError naming the first currency and date that
// rows list twice, nil when there is none.
func Unique(rows []money.RateInfo) error {
	seen := make(map[[2]string]bool, len(rows))
	for _, r := range rows {
		k := [2]string{string(r.Currency), r.Date}
		if seen[k] {
			return &InvalidError{Currency: r.Currency, Field: "date", Reason: "a rate for " + r.Date + " is listed twice"}
		}
		seen[k] = true
	}
	return nil
}

// Validate checks rows as Set does before storing them: at least one; each
// of a currency glint knows other than Base, a positive rate, a YYYY-MM-DD
// date, a source of printable text on one line up to MaxSourceLen bytes; no
// currency and date twice. Errors: an *InvalidError naming the first fault.
func Validate(rows []money.RateInfo) error {
	if len(rows) == 0 {
		return &InvalidError{Field: "rows", Reason: "no rate to set"}
	}
	for _, r := range rows {
		switch {
		case r.Currency == Base:
			return &InvalidError{Currency: r.Currency, Field: "currency", Reason: "USD is the base of the table: its rate is always 1"}
		case !money.IsCurrency(string(r.Currency)):
			return &InvalidError{Currency: r.Currency, Field: "currency", Reason: fmt.Sprintf("unknown ISO 4217 currency %q", r.Currency)}
		case !r.Rate.IsPos():
			return &InvalidError{Currency: r.Currency, Field: "rate", Reason: "must be greater than zero, got " + r.Rate.String()}
		}
		if d, err := time.Parse(time.DateOnly, r.Date); err != nil || d.Format(time.DateOnly) != r.Date {
			return &InvalidError{Currency: r.Currency, Field: "date", Reason: fmt.Sprintf("want a YYYY-MM-DD date, got %q", r.Date)}
		}
		switch {
		case strings.TrimSpace(r.Source) == "":
			return &InvalidError{Currency: r.Currency, Field: "source", Reason: "say where the rate comes from"}
		case len(r.Source) > MaxSourceLen:
			return &InvalidError{Currency: r.Currency, Field: "source", Reason: fmt.Sprintf("at most %d bytes, got %d", MaxSourceLen, len(r.Source))}
		case !utf8.ValidString(r.Source) || strings.ContainsFunc(r.Source, func(c rune) bool { return c < ' ' || c == 0x7f }):
			return &InvalidError{Currency: r.Currency, Field: "source", Reason: "must be printable UTF-8 text on one line"}
		}
	}
	return Unique(rows)
}

// Load returns the FX table stored in st, each currency's newest row, to put
// in force at start. When st holds no rate yet it first stores seed's rows,
// each with its date and source, SeedSource when it has none (seed is the
// table file: --fx, or the one embedded in the binary); once the database
// holds rates, seed is not read.
// Errors: st's; a seed needed but nil, empty or not quoted against USD; a
// stored row the table refuses (money.NewRates), such as a currency this
// glint does not know.
func Load(ctx context.Context, st Store, seed *money.Rates) (*money.Rates, error) {
	rows, err := st.FXRates(ctx)
	if err != nil {
		return nil, fmt.Errorf("fx: load: %w", err)
	}
	if len(rows) == 0 {
		switch {
		case seed == nil:
			return nil, errors.New("fx: load: the database holds no FX rate and there is no table to seed it from")
		case seed.Base != Base:
			return nil, fmt.Errorf("fx: load: the database keeps rates per 1 USD; the seed table is quoted per 1 %s", seed.Base)
		}
		seedRows := seed.Rows()
		for i := range seedRows {
			if strings.TrimSpace(seedRows[i].Source) == "" {
				seedRows[i].Source = SeedSource
			}
		}
		if err := Validate(seedRows); err != nil {
			return nil, fmt.Errorf("fx: load: seed table: %w", err)
		}
		if err := st.PutFXRates(ctx, seedRows); err != nil {
			return nil, fmt.Errorf("fx: load: seed the database: %w", err)
		}
		// Read back what is stored: another node may have seeded it too.
		if rows, err = st.FXRates(ctx); err != nil {
			return nil, fmt.Errorf("fx: load: %w", err)
		}
	}
	r, err := money.NewRates(Base, rows)
	if err != nil {
		return nil, fmt.Errorf("fx: load: stored table: %w", err)
	}
	return r, nil
}

// Reload puts in force the table st holds — each currency's newest row —
// and returns it. Errors: st's; an empty database; a stored row the table
// refuses (money.NewRates). On error the table in force is left as it was.
func Reload(ctx context.Context, st Store, live *money.Live) (*money.Rates, error) {
	rows, err := st.FXRates(ctx)
	if err != nil {
		return nil, fmt.Errorf("fx: reload: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("fx: reload: the database holds no FX rate (Load seeds it)")
	}
	r, err := money.NewRates(Base, rows)
	if err != nil {
		return nil, fmt.Errorf("fx: reload: stored table: %w", err)
	}
	if err := live.Store(r); err != nil {
		return nil, fmt.Errorf("fx: reload: %w", err)
	}
	return r, nil
}

// Set stores rows (each: units of the currency per 1 USD on its date, and
// where the rate comes from) and then, when live is not nil, puts the
// database's table in force (Reload). A row for a currency and date already
// stored replaces that rate; a row older than the currency's newest is kept
// as history and changes nothing in force. The database must have been
// seeded (Load): the table in force is what it holds.
//
// Errors: an *InvalidError, before anything is stored, for no rows, a
// currency glint does not know or USD, a rate that is not positive, a date
// that is not YYYY-MM-DD, a missing, overlong or multi-line source, or the
// same currency and date twice; then st's and Reload's.
func Set(ctx context.Context, st Store, live *money.Live, rows []money.RateInfo) error {
	if err := Validate(rows); err != nil {
		return err
	}
	if err := st.PutFXRates(ctx, rows); err != nil {
		return fmt.Errorf("fx: set: %w", err)
	}
	if live == nil {
		return nil
	}
	_, err := Reload(ctx, st, live)
	return err
}

// Fetch downloads the ECB's reference-rates XML from rawURL (ECBDailyURL,
// or a mirror of the same shape) and returns its rows per 1 USD
// (money.ParseECB), with the URL, without any password, as their source.
// It gives up after FetchTimeout and reads at most MaxFetchBytes; client
// may be nil (http.DefaultClient).
//
// Errors: a URL that is not http or https; the request's; a status other
// than 200; an answer larger than MaxFetchBytes; money.ParseECB's.
func Fetch(ctx context.Context, client *http.Client, rawURL string) ([]money.RateInfo, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fx: fetch: want an http or https URL, got %q", rawURL)
	}
	where := u.Redacted()
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fx: fetch %s: %w", where, err)
	}
	req.Header.Set("Accept", "application/xml, text/xml;q=0.9")
	res, err := client.Do(req)
	if err != nil {
		// The client's error repeats the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fx: fetch %s: %w", where, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fx: fetch %s: %s", where, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fx: fetch %s: %w", where, err)
	}
	if len(b) > MaxFetchBytes {
		return nil, fmt.Errorf("fx: fetch %s: the answer is larger than %d bytes", where, MaxFetchBytes)
	}
	rows, err := money.ParseECB(bytes.NewReader(b), where)
	if err != nil {
		return nil, fmt.Errorf("fx: fetch %s: %w", where, err)
	}
	return rows, nil
}

// Refresh imports the ECB's rates from rawURL: Fetch, then Set. Errors:
// Fetch's and Set's; nothing is stored when Fetch fails.
func Refresh(ctx context.Context, st Store, live *money.Live, client *http.Client, rawURL string) error {
	rows, err := Fetch(ctx, client, rawURL)
	if err != nil {
		return err
	}
	return Set(ctx, st, live, rows)
}
