package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/glint-economy/glint/internal/economy"
)

// run executes the glint command line and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCalc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string // lines or fragments stdout must contain
	}{
		{[]string{"calc", "1000", "diamonds"}, []string{
			"1000 diamonds (economy \"seed\")",
			"1000 diamonds × 0.005 USD = 5.00 USD gross",
			"  gross       5.00 USD\n",
			"  net         2.50 USD\n",
			"below the minimum of 20000 diamonds: 19000 missing",
		}},
		{[]string{"calc", "20000", "diamonds"}, []string{
			"  gross       100.00 USD\n",
			"  net         50.00 USD\n",
			"exactly the minimum of 20000 diamonds",
		}},
		{[]string{"calc", "1", "galaxy"}, []string{
			"1 × Galaxy (1000 coins) = 1000 coins",
			"  diamonds    500\n",
			"  gross       2.50 USD\n",
		}},
		{[]string{"calc", "3", "galaxy"}, []string{"3 × Galaxy (1000 coins) = 3000 coins", "  diamonds    1500\n"}},
		{[]string{"calc", "1", "rose"}, []string{"1 coin × 0.5 diamonds per coin (default rate) = 0.5 diamonds", "  diamonds    0.5\n"}},
		{[]string{"calc", "1", "Rainbow Puke"}, []string{"= 50 diamonds", "  coins       100\n"}},
		{[]string{"calc", "505.5", "diamonds", "--currency", "eur"}, []string{
			"  gross       2.53 USD = 2.35 EUR\n",
			"  net         1.26 USD = 1.17 EUR\n",
		}},
		{[]string{"calc", "34999", "coins", "--currency", "EUR"}, []string{
			"34999 coins × 0.5 diamonds per coin (default rate) = 17499.5 diamonds",
			"at 0.9286 (FX table of 2026-11-30)",
			"  gross       87.50 USD = 81.25 EUR\n",
			"  net         43.75 USD = 40.63 EUR\n",
		}},
		{[]string{"calc", "100", "usd"}, []string{
			"100.00 USD ÷ 0.005 USD per diamond = 20000 diamonds",
			"  coins       40000\n",
			"exactly the minimum",
		}},
		{[]string{"calc", "--currency=jpy", "5", "usd"}, []string{"  gross       5.00 USD = 757 JPY\n"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestCalcJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, "calc", "505.5", "diamonds", "--currency", "EUR", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var q economy.Quote
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	got := []string{q.Diamonds, q.Gross.String(), q.Net.String(), q.Local.Gross.String(), q.Local.Net.String(), q.Local.FX.Date, q.Cashout.Status}
	want := []string{"505.5", "2.53 USD", "1.26 USD", "2.35 EUR", "1.17 EUR", "2026-11-30", "below"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quote mismatch (-want +got):\n%s", diff)
	}
	if q.Coins != 1011 || len(q.Steps) == 0 {
		t.Errorf("coins %d, %d steps", q.Coins, len(q.Steps))
	}
	if !strings.Contains(out, `"gross": {`) || !strings.Contains(out, `"value": "2.53"`) || !strings.Contains(out, `"coins": 1011,`) {
		t.Errorf("JSON shape:\n%s", out)
	}
}

func TestCalcErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"calc", "5", "bananas"}, 1, `glint: unit "bananas": unknown unit`},
		{[]string{"calc", "-5", "coins"}, 1, `glint: amount "-5": must be greater than zero`},
		{[]string{"calc", "-0.5", "diamonds"}, 1, `glint: amount "-0.5": must be greater than zero`},
		{[]string{"calc", "0", "coins"}, 1, `glint: amount "0": must be greater than zero`},
		{[]string{"calc", "1.5", "coins"}, 1, `glint: amount "1.5": coins are whole numbers`},
		{[]string{"calc", "0.0001", "diamonds"}, 1, `glint: amount "0.0001": diamonds have at most 3 decimal places`},
		{[]string{"calc", "99999999999999999999", "coins"}, 1, `glint: amount "99999999999999999999": too large`},
		{[]string{"calc", "9223372036854775807", "universe"}, 1, `glint: amount "9223372036854775807": too large to convert`},
		{[]string{"calc", "5", "coins", "--currency", "XYZ"}, 1, `glint: --currency "XYZ": unknown currency`},
		{[]string{"calc", "5", "xyz"}, 1, `glint: unit "xyz": unknown unit`},
		{[]string{"calc", "1e3", "coins"}, 1, `glint: amount "1e3": not a number`},
		{[]string{"calc", "5"}, 2, `glint: accepts 2 arg(s), received 1`},
		{[]string{"calc", "5", "coins", "--economy", "testdata-missing.toml"}, 1, `glint: economy: open testdata-missing.toml`},
		{[]string{"calc", "5", "coins", "--fx", "fx-missing.toml"}, 1, `glint: fx: open fx-missing.toml`},
		{[]string{"calc", "5", "coins", "--bogus"}, 2, `glint: unknown flag: --bogus`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", errOut, tt.want)
			}
		})
	}
}

func TestCalcFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	econ := filepath.Join(dir, "economy.toml")
	seed := strings.Replace(string(economy.SeedFile()), `commission = "0.5"`, `commission = "0.2"`, 1)
	if err := os.WriteFile(econ, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	fx := filepath.Join(dir, "fx.toml")
	if err := os.WriteFile(fx, []byte("date = \"2027-01-04\"\nbase = \"USD\"\n[rates]\nEUR = \"0.5\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "calc", "1000", "diamonds", "--economy", econ, "--fx", fx, "--currency", "EUR")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, w := range []string{"  net         4.00 USD = 2.00 EUR\n", "FX table of 2027-01-04"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	code, _, errOut = run(t, "calc", "1000", "diamonds", "--fx", fx, "--currency", "GBP")
	if code != 1 || !strings.Contains(errOut, `currency "GBP": the FX table of 2027-01-04 has no rate for it`) {
		t.Errorf("GBP with a table without it: exit %d, stderr %q", code, errOut)
	}
}

// TestCalcEnv is not parallel: it sets GLINT_* variables.
func TestCalcEnv(t *testing.T) {
	dir := t.TempDir()
	econ := filepath.Join(dir, "economy.toml")
	seed := strings.Replace(string(economy.SeedFile()), `value = "0.005"`, `value = "0.01"`, 1)
	if err := os.WriteFile(econ, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	fx := filepath.Join(dir, "fx.toml")
	if err := os.WriteFile(fx, []byte("date = \"2027-01-04\"\nbase = \"USD\"\n[rates]\nEUR = \"2\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GLINT_ECONOMY", econ)
	t.Setenv("GLINT_FX", fx)
	code, out, errOut := run(t, "calc", "1000", "diamonds", "--currency", "EUR")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "  gross       10.00 USD = 20.00 EUR\n"; !strings.Contains(out, want) {
		t.Errorf("stdout lacks %q:\n%s", want, out)
	}
	// A flag wins over the environment.
	code, out, errOut = run(t, "calc", "1000", "diamonds", "--economy", "")
	if code != 0 || !strings.Contains(out, "  gross       5.00 USD\n") {
		t.Errorf("--economy \"\" over GLINT_ECONOMY: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, out, _ = run(t, "economy", "print")
	if code != 0 || out != seed {
		t.Errorf("economy print with GLINT_ECONOMY: exit %d, printed the wrong file", code)
	}
}

func TestEconomyPrint(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, "economy", "print")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if diff := cmp.Diff(string(economy.SeedFile()), out); diff != "" {
		t.Errorf("economy print differs from the seed file (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join("..", "economy", "seed.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(b) {
		t.Error("economy print differs from internal/economy/seed.toml")
	}

	minimal := filepath.Join("..", "economy", "testdata", "minimal.toml")
	b, err = os.ReadFile(minimal)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "economy", "print", "--economy", minimal)
	if code != 0 || out != string(b) {
		t.Errorf("economy print --economy: exit %d, output differs from the file", code)
	}
	code, out, errOut = run(t, "economy", "print", "--economy", filepath.Join("..", "economy", "testdata", "negative_coins.toml"))
	if code != 1 || out != "" || !strings.Contains(errOut, "gifts[2].coins: must be greater than zero") {
		t.Errorf("economy print of an invalid file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestEconomyCheck(t *testing.T) {
	t.Parallel()
	testdata := filepath.Join("..", "economy", "testdata")
	seed := filepath.Join("..", "economy", "seed.toml")
	tests := []struct {
		file   string
		code   int
		stdout string
		stderr string
	}{
		{seed, 0, seed + ": ok (19 gifts, 4 price books)\n", ""},
		{filepath.Join(testdata, "minimal.toml"), 0, filepath.Join(testdata, "minimal.toml") + ": ok (3 gifts, 1 price book)\n", ""},
		{filepath.Join(testdata, "negative_coins.toml"), 1, "", "glint: " + filepath.Join(testdata, "negative_coins.toml") + ": line 57: gifts[2].coins: must be greater than zero\n"},
		{filepath.Join(testdata, "unknown_field.toml"), 1, "", "glint: " + filepath.Join(testdata, "unknown_field.toml") + ": line 26: bans.appeal_window_hours: unknown field\n"},
		{filepath.Join(testdata, "syntax_error.toml"), 1, "", "glint: " + filepath.Join(testdata, "syntax_error.toml") + ": line 10: invalid TOML: "},
		{filepath.Join(testdata, "missing.toml"), 1, "", "glint: economy: open " + filepath.Join(testdata, "missing.toml")},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, "economy", "check", tt.file)
			if code != tt.code || out != tt.stdout || !strings.HasPrefix(errOut, tt.stderr) || (tt.stderr == "" && errOut != "") {
				t.Errorf("economy check %s: exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr starting %q",
					tt.file, code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	if code, _, errOut := run(t, "economy", "check"); code != 2 || !strings.Contains(errOut, "accepts 1 arg(s), received 0") {
		t.Errorf("economy check without a file: exit %d, stderr %q", code, errOut)
	}
}

func TestLoadHelpers(t *testing.T) {
	t.Parallel()
	e, err := loadEconomy("")
	if err != nil || e.Name != "seed" {
		t.Errorf("loadEconomy(\"\") = %v, %v; want the seed", e, err)
	}
	if _, err := loadEconomy(filepath.Join("..", "economy", "testdata", "bad_currency.toml")); err == nil {
		t.Error("loadEconomy of an invalid file: no error")
	}
	r, err := loadRates("")
	if err != nil || r.Base != "USD" || !r.Has("EUR") {
		t.Errorf("loadRates(\"\") = %v, %v; want the embedded table", r, err)
	}
	if _, err := loadRates("missing.toml"); err == nil {
		t.Error("loadRates(missing.toml): no error")
	}
}
