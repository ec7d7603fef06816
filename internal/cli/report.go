package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/economy"
)

func init() { extraCommands = append(extraCommands, newReportCmd) }

// errNotReconciled makes `glint report` exit 1 when a check fails.
var errNotReconciled = errors.New("the report does not reconcile")

func newReportCmd() *cobra.Command {
	var db, at, economyPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print the platform's books and reconcile them; exit 1 if a check fails",
		Long: "report prints the books of a database as of now or of --at: coins outstanding (deferred revenue),\n" +
			"diamonds outstanding (the liability to creators) and their value at the economy's rates, commission\n" +
			"earned, money paid out, withdrawals by status and every system account. Then it reconciles them:\n" +
			"every asset sums to zero; diamonds and coins held by users equal what was issued less what was\n" +
			"redeemed, forfeited or spent; withdrawing balances equal the open withdrawals; commission equals that\n" +
			"of the paid withdrawals; and, for the current books, the journal equals the account balances.\n" +
			"A failed check exits 1 (\"the report does not reconcile\"). Withdrawals are grouped by their status\n" +
			"now, even with --at.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			var when time.Time
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("report: --at %q is not an RFC 3339 time (e.g. 2025-12-31T23:59:59Z)", at)
				}
				when = t
			}
			econ, err := loadEconomy(economyPath)
			if err != nil {
				return err
			}
			d, err := openStore(cmd.Context(), db, true)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			defer d.Close()
			if err := d.SchemaCurrent(cmd.Context()); err != nil {
				return err
			}
			rr, ok := d.(cashout.ReportReader)
			if !ok {
				return fmt.Errorf("report: the storage engine %T cannot read reports", d)
			}
			r, err := cashout.BuildReport(cmd.Context(), econ, rr, when)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else if err := writeReport(out, dbName(db), r); err != nil {
				return err
			}
			if !r.OK() {
				return errNotReconciled
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")
	f.StringVar(&at, "at", "", "the time of the books (RFC 3339); now when empty, which also checks the account balances")
	f.StringVar(&economyPath, "economy", "", "economy file whose rates value the diamonds (default: the embedded seed preset)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// writeReport prints a report as aligned text.
func writeReport(w io.Writer, db string, r *cashout.Report) error {
	when := "as of " + r.At.Format(time.RFC3339)
	if r.Current {
		when = "now (" + r.At.Format(time.RFC3339) + ")"
	}
	fmt.Fprintf(w, "%s: the books %s, economy %q, in %s\n", db, when, r.Economy, r.Currency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string) { fmt.Fprintf(tw, "\n%s\n", title) }
	line := func(label string, values ...any) {
		fmt.Fprintf(tw, "  %s", label)
		for _, v := range values {
			fmt.Fprintf(tw, "\t%v", v)
		}
		fmt.Fprintln(tw)
	}
	amounts := func(as []economy.Amount) string {
		if len(as) == 0 {
			return "none"
		}
		parts := make([]string, len(as))
		for i, a := range as {
			parts[i] = a.String()
		}
		return strings.Join(parts, ", ")
	}

	section("coins")
	line("outstanding (deferred revenue)", r.Coins.Outstanding)
	line("issued", r.Coins.Issued)
	line("spent on gifts", r.Coins.Spent)

	d := r.Diamonds
	section("diamonds")
	line("pending", d.Pending)
	line("available", d.Available)
	line("withdrawing", d.Withdrawing)
	line("outstanding (creator liability)", d.Outstanding, "= "+d.Gross.String()+" gross, "+d.Net.String()+" net")
	line("issued", d.Issued)
	line("redeemed", d.Redeemed)
	line("forfeited", d.Forfeited)

	section("money")
	line("commission earned", amounts(r.Commission))
	line("paid out", amounts(r.PaidOut))
	line("payouts payable", amounts(r.Payable))

	section("withdrawals (requested by then, by status now)")
	if len(r.Withdrawals) == 0 {
		line("none")
	} else {
		line("status", "count", "diamonds", "gross", "commission", "net")
		for _, l := range r.Withdrawals {
			line(l.Status, l.Count, l.Diamonds, l.Gross, l.Commission, l.Net)
		}
	}

	section("system accounts")
	if len(r.Accounts) == 0 {
		line("none")
	}
	for _, a := range r.Accounts {
		line(a.Account, a.Asset, a.Balance)
	}

	section("checks")
	for _, c := range r.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAIL"
		}
		line(mark, c.Name, c.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.OK() {
		_, err := fmt.Fprintln(w, "\nreconciled: every check passed")
		return err
	}
	_, err := fmt.Fprintln(w, "\nNOT RECONCILED: see the failed checks above")
	return err
}
