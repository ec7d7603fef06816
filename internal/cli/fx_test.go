package cli

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/money"
	"github.com/glint-economy/glint/internal/store/sqlite"
)

const ecbFile = "../money/testdata/ecb-2025-03-14.xml"

// storedFX returns, as "CUR DATE RATE SOURCE" lines, the FX table in force
// in the SQLite file and the stored history of one currency.
func storedFX(t *testing.T, path, currency string) (inForce map[string]string, history []string) {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.FXRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inForce = map[string]string{}
	for _, r := range rows {
		inForce[string(r.Currency)] = r.Date + " " + r.Rate.String() + " " + r.Source
	}
	hist, err := db.FXHistory(ctx, currency, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range hist {
		history = append(history, r.Date+" "+r.Rate.String()+" "+r.Source)
	}
	return inForce, history
}

func wantOutput(t *testing.T, what, got string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(got, f) {
			t.Errorf("%s does not contain %q:\n%s", what, f, got)
		}
	}
}

func TestFXSetAndList(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "glint.db")

	// A fresh database holds no rate; listing does not seed it.
	code, out, errOut := run(t, "fx", "list", "--db", db)
	if code != 0 || out != "" || !strings.Contains(errOut, "no FX rate stored in "+db+" yet") {
		t.Fatalf("list on a fresh database: %d %q %q", code, out, errOut)
	}

	// The first set seeds the embedded table, then stores the rate.
	code, out, errOut = run(t, "fx", "set", "eur", "0.9012", "--date", "2026-12-01", "--db", db)
	if code != 0 {
		t.Fatalf("set: %d %s", code, errOut)
	}
	wantOutput(t, "set", out, "stored 1 USD = 0.9012 EUR on 2026-12-01 (manual)\n")
	wantOutput(t, "set's stderr", errOut, "running servers read the FX table at start")
	seed := money.DefaultRates()
	inForce, hist := storedFX(t, db, "EUR")
	if len(inForce) != len(seed.Rows()) {
		t.Errorf("%d currencies in force, want the seed's %d", len(inForce), len(seed.Rows()))
	}
	if d := cmp.Diff([]string{"2026-12-01 0.9012 manual", "2026-11-30 0.9286 " + seed.Source}, hist); d != "" {
		t.Errorf("EUR history (-want +got):\n%s", d)
	}
	if got := inForce["JPY"]; got != "2026-11-30 151.37 "+seed.Source {
		t.Errorf("JPY in force: %q", got)
	}

	// An older day is history; the command says which rate stays in force.
	code, out, _ = run(t, "fx", "set", "EUR", "0.95", "--date", "2026-01-15", "--source", "Bank statement 2026-01", "--db", db)
	if code != 0 {
		t.Fatalf("set an older day: %d", code)
	}
	wantOutput(t, "set an older day", out,
		"stored 1 USD = 0.95 EUR on 2026-01-15 (Bank statement 2026-01)\n",
		"kept as history: the EUR rate in force is 0.9012 of 2026-12-01\n")

	// Without --date, the day is today in UTC.
	before := time.Now().UTC().Format(time.DateOnly)
	if code, _, errOut := run(t, "fx", "set", "GBP", "0.7999", "--db", db); code != 0 {
		t.Fatalf("set without a date: %d %s", code, errOut)
	}
	after := time.Now().UTC().Format(time.DateOnly)
	_, gbp := storedFX(t, db, "GBP")
	if !slices.Contains(gbp, before+" 0.7999 manual") && !slices.Contains(gbp, after+" 0.7999 manual") {
		t.Errorf("GBP set without a date: history %q, want a row of today, %s", gbp, after)
	}

	code, out, _ = run(t, "fx", "list", "--db", db)
	if code != 0 {
		t.Fatalf("list: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+len(seed.Rows()) || !strings.HasPrefix(lines[0], "CURRENCY  PER 1 USD") {
		t.Errorf("list: %d lines, header %q", len(lines), lines[0])
	}
	wantOutput(t, "list", out, "\nEUR       0.9012     2026-12-01  manual\n", "\nJPY       151.37     2026-11-30  illustrative")

	code, out, _ = run(t, "fx", "list", "--history", "eur", "--limit", "2", "--db", db)
	if code != 0 {
		t.Fatalf("list --history: %d", code)
	}
	want := "CURRENCY  PER 1 USD  DATE        SOURCE\n" +
		"EUR       0.9012     2026-12-01  manual\n" +
		"EUR       0.9286     2026-11-30  " + seed.Source + "\n"
	if out != want {
		t.Errorf("list --history eur --limit 2:\n%s\nwant:\n%s", out, want)
	}
	if code, out, _ := run(t, "fx", "list", "--history", "KWD", "--db", db); code != 0 || !strings.Contains(out, "\nKWD       0.3068     2026-11-30  illustrative") {
		t.Errorf("history of a currency with one row: %d %s", code, out)
	}
	if code, _, errOut := run(t, "fx", "list", "--history", "XYZ", "--db", db); code != 1 || !strings.Contains(errOut, `--history: unknown currency "XYZ"`) {
		t.Errorf("history of an unknown currency: %d %s", code, errOut)
	}
}

func TestFXSetRefuses(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "glint.db")
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"XYZ", "1.5"}, 1, `unknown currency "XYZ"`},
		{[]string{"USD", "1"}, 1, "fx: USD: currency: USD is the base of the table"},
		{[]string{"EUR", "0,9"}, 1, `rate: want a decimal string such as "0.9286", got "0,9"`},
		{[]string{"--", "EUR", "-0.9"}, 1, `rate: want a decimal string`},
		{[]string{"EUR", "0"}, 1, `rate: must be greater than zero`},
		{[]string{"EUR", "0.9", "--date", "2026-13-01"}, 1, `fx: EUR: date: want a YYYY-MM-DD date, got "2026-13-01"`},
		{[]string{"EUR", "0.9", "--source", ""}, 1, "fx: EUR: source: say where the rate comes from"},
		{[]string{"EUR"}, 2, "accepts 2 arg(s)"},
	} {
		code, _, errOut := run(t, append([]string{"fx", "set", "--db", db}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("fx set %v: exit %d %q, want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	// Refused before the database was opened: nothing stored, not even the
	// seed.
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the database was created: %v", err)
	}
}

func TestFXImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A table older than the ECB's day, with one currency the ECB does not
	// quote, seeds the database (--fx, as glint serve takes it).
	seedFile := filepath.Join(dir, "rates.toml")
	if err := os.WriteFile(seedFile, []byte("date = \"2025-01-02\"\nbase = \"USD\"\nsource = \"old table\"\n[rates]\nEUR = \"0.97\"\nAED = \"3.6725\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "glint.db")
	code, out, errOut := run(t, "fx", "import", ecbFile, "--fx", seedFile, "--db", db)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	wantOutput(t, "import", out,
		"imported 30 rates per 1 USD (1 day(s), newest 2025-03-14) from "+ecbFile+"; 30 of them in force\n",
		"1 currencies keep a newer rate or one the ECB does not quote")
	inForce, eur := storedFX(t, db, "EUR")
	for c, want := range map[string]string{
		"EUR": "2025-03-14 0.918949 " + ecbFile,   // 1 ÷ 1.0882
		"JPY": "2025-03-14 148.401029 " + ecbFile, // 161.49 ÷ 1.0882
		"AED": "2025-01-02 3.6725 old table",
	} {
		if inForce[c] != want {
			t.Errorf("%s in force: %q, want %q", c, inForce[c], want)
		}
	}
	if len(inForce) != 31 {
		t.Errorf("%d currencies in force, want 31", len(inForce))
	}
	if d := cmp.Diff([]string{"2025-03-14 0.918949 " + ecbFile, "2025-01-02 0.97 old table"}, eur); d != "" {
		t.Errorf("EUR history (-want +got):\n%s", d)
	}

	// From a URL: the source is the URL.
	b, err := os.ReadFile(ecbFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/eurofxref-daily.xml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "2025-03-14", "2025-03-17")))
	}))
	defer srv.Close()
	url := srv.URL + "/eurofxref-daily.xml"
	code, out, errOut = run(t, "fx", "import", url, "--db", db)
	if code != 0 {
		t.Fatalf("import %s: %d %s", url, code, errOut)
	}
	wantOutput(t, "import from a URL", out, "from "+url+"; 30 of them in force\n")
	if inForce, _ := storedFX(t, db, "JPY"); inForce["JPY"] != "2025-03-17 148.401029 "+url {
		t.Errorf("JPY in force: %q", inForce["JPY"])
	}

	// A failed import stores nothing.
	for _, tt := range []struct{ from, want string }{
		{srv.URL + "/missing.xml", "404 Not Found"},
		{filepath.Join(dir, "nope.xml"), "no such file"},
		{seedFile, "ecb: malformed reference-rates XML"},
	} {
		code, _, errOut := run(t, "fx", "import", tt.from, "--db", db)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("import %s: exit %d %q, want 1 and %q", tt.from, code, errOut, tt.want)
		}
	}
	if _, jpy := storedFX(t, db, "JPY"); len(jpy) != 2 {
		t.Errorf("JPY history after failed imports: %v", jpy)
	}
}
