package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/fx"
	"github.com/glint-economy/glint/internal/money"
)

func init() { extraCommands = append(extraCommands, newFXCmd) }

// fxNote is printed after a change: the CLI writes the database, and a
// running server reads it at start (or changes it through its admin API).
const fxNote = "running servers read the FX table at start; to change it on a running server, use PUT /v1/admin/fx/{currency} or POST /v1/admin/fx/import"

func newFXCmd() *cobra.Command {
	var db, seedFile string
	// open opens and migrates --db, as `glint keys` does, and returns it
	// with its FX table.
	open := func(cmd *cobra.Command) (store, fx.Store, error) {
		if err := bindEnv(cmd); err != nil {
			return nil, nil, err
		}
		d, err := openStore(cmd.Context(), db, false)
		if err != nil {
			return nil, nil, err
		}
		if _, err := d.Migrate(cmd.Context()); err != nil {
			d.Close()
			return nil, nil, err
		}
		st, ok := d.(fx.Store)
		if !ok {
			d.Close()
			return nil, nil, errors.New("this storage engine keeps no FX table")
		}
		return d, st, nil
	}
	// seed stores the table of --fx (or the embedded one) when the database
	// holds no rate yet, as `glint serve` does at start: a rate set before
	// the first start must not leave the table with that one currency.
	seed := func(ctx context.Context, st fx.Store) error {
		rates, err := loadRates(seedFile)
		if err != nil {
			return err
		}
		_, err = fx.Load(ctx, st, rates)
		return err
	}

	cmd := &cobra.Command{
		Use:   "fx",
		Short: "List, set and import the FX rates (units of each currency per 1 USD) kept in the database",
		Long: "The FX table lives in the database, one rate per currency per day; the table in force is each currency's\n" +
			"newest day. `glint serve` seeds an empty database from --fx FILE or the table embedded in the binary.",
	}
	cmd.PersistentFlags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")

	var history string
	var limit int
	list := &cobra.Command{
		Use:   "list [--history CUR]",
		Short: "Print the FX table in force, or the stored history of one currency",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, st, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			if history != "" {
				cur, err := money.ParseCurrency(history)
				if err != nil {
					return fmt.Errorf("--history: unknown currency %q", history)
				}
				rows, err := st.FXHistory(ctx, string(cur), limit)
				if err != nil {
					return err
				}
				if len(rows) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "no %s rate stored in %s\n", cur, dbName(db))
					return nil
				}
				return printFXRows(out, rows)
			}
			rows, err := st.FXRates(ctx)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "no FX rate stored in %s yet: glint serve, fx set and fx import seed it from --fx FILE or the embedded table\n", dbName(db))
				return nil
			}
			return printFXRows(out, rows)
		},
	}
	list.Flags().StringVar(&history, "history", "", "print the stored rates of this currency, newest first")
	list.Flags().IntVar(&limit, "limit", 0, "with --history: at most this many days (0: all)")

	var date, source string
	set := &cobra.Command{
		Use:   "set CUR RATE [--date YYYY-MM-DD] [--source TEXT]",
		Short: "Set the rate of a currency (units per 1 USD) for a day",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cur, err := money.ParseCurrency(args[0])
			if err != nil {
				return fmt.Errorf("unknown currency %q", args[0])
			}
			rate, err := money.ParseRate(args[1])
			if err != nil {
				return fmt.Errorf("rate: %w", err)
			}
			if date == "" {
				date = time.Now().UTC().Format(time.DateOnly)
			}
			row := money.RateInfo{Currency: cur, Rate: rate, Date: date, Source: source}
			if err := fx.Validate([]money.RateInfo{row}); err != nil {
				return err // before the database is touched, or seeded
			}
			d, st, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			ctx := cmd.Context()
			if err := seed(ctx, st); err != nil {
				return err
			}
			if err := fx.Set(ctx, st, nil, []money.RateInfo{row}); err != nil {
				return err
			}
			inForce, err := st.FXRates(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "stored 1 USD = %s %s on %s (%s)\n", rate, cur, date, source)
			for _, r := range inForce {
				if r.Currency == cur && r.Date != date {
					fmt.Fprintf(out, "kept as history: the %s rate in force is %s of %s\n", cur, r.Rate, r.Date)
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), fxNote)
			return nil
		},
	}
	set.Flags().StringVar(&date, "date", "", "the day of the rate, YYYY-MM-DD (default today, UTC)")
	set.Flags().StringVar(&source, "source", "manual", "where the rate comes from")
	set.Flags().StringVar(&seedFile, "fx", "", "FX table file to seed an empty database with (default: the table embedded in the binary)")

	imp := &cobra.Command{
		Use:   "import FILE|URL",
		Short: "Import the ECB's euro reference rates (eurofxref-daily.xml), converted to rates per 1 USD",
		Long: "Reads the European Central Bank's reference-rates XML from a file or an http(s) URL, for instance\n" +
			fx.ECBDailyURL + ",\n" +
			"derives each rate per 1 USD (rate per EUR ÷ USD per EUR, rounded half to even to 6 decimal places),\n" +
			"skips currencies glint does not know, and stores the rates with the file or URL as their source.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, from := cmd.Context(), args[0]
			var rows []money.RateInfo
			var err error
			if strings.HasPrefix(from, "http://") || strings.HasPrefix(from, "https://") {
				rows, err = fx.Fetch(ctx, &http.Client{Timeout: fx.FetchTimeout}, from)
			} else {
				rows, err = readECBFile(from)
			}
			if err == nil {
				err = fx.Validate(rows)
			}
			if err != nil {
				return err
			}
			d, st, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := seed(ctx, st); err != nil {
				return err
			}
			if err := fx.Set(ctx, st, nil, rows); err != nil {
				return err
			}
			inForce, err := st.FXRates(ctx)
			if err != nil {
				return err
			}
			imported := map[[2]string]bool{}
			days := map[string]bool{}
			for _, r := range rows {
				imported[[2]string{string(r.Currency), r.Date}] = true
				days[r.Date] = true
			}
			n := 0
			for _, r := range inForce {
				if imported[[2]string{string(r.Currency), r.Date}] {
					n++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d rates per 1 USD (%d day(s), newest %s) from %s; %d of them in force\n",
				len(rows), len(days), rows[len(rows)-1].Date, rows[0].Source, n)
			if n < len(inForce) {
				fmt.Fprintf(cmd.OutOrStdout(), "%d currencies keep a newer rate or one the ECB does not quote (glint fx list)\n", len(inForce)-n)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), fxNote)
			return nil
		},
	}
	imp.Flags().StringVar(&seedFile, "fx", "", "FX table file to seed an empty database with (default: the table embedded in the binary)")

	cmd.AddCommand(list, set, imp)
	return cmd
}

// readECBFile parses an ECB reference-rates XML file; the rows' source is
// the path.
func readECBFile(path string) ([]money.RateInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fx import: %w", err)
	}
	defer f.Close()
	rows, err := money.ParseECB(f, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// printFXRows prints rows as a table: currency, units per 1 USD, day, source.
func printFXRows(out io.Writer, rows []money.RateInfo) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CURRENCY\tPER 1 USD\tDATE\tSOURCE")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Currency, r.Rate, r.Date, r.Source)
	}
	return w.Flush()
}
