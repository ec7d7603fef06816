package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/gifting"
	"github.com/glint-economy/glint/internal/jobs"
	"github.com/glint-economy/glint/internal/ledger"
	"github.com/glint-economy/glint/internal/money"
)

func init() { extraCommands = append(extraCommands, newPayoutsCmd) }

// payoutsEnv is the cash-out service over a database, for one command: its
// own writer, and a job runner that only inserts (the server's runner
// delivers the webhooks these changes enqueue).
type payoutsEnv struct {
	db   store
	cash *cashout.Service
	gift *gifting.Service
	stop func()
}

func openPayouts(ctx context.Context, path, economyPath string) (*payoutsEnv, error) {
	db, err := openStore(ctx, path, true)
	if err != nil {
		return nil, err
	}
	if err := db.SchemaCurrent(ctx); err != nil {
		db.Close()
		return nil, err
	}
	econ, err := loadEconomy(economyPath)
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := attachJobs(db, jobs.Config{InsertOnly: true}); err != nil {
		db.Close()
		return nil, err
	}
	w, err := startWriter(db, ledger.BatcherConfig{MaxBatch: 64, Queue: 256})
	if err != nil {
		db.Close()
		return nil, err
	}
	cash, err := cashout.NewService(cashout.Config{Economy: econ, FX: money.NewLive(money.DefaultRates()), Write: w.cashout, Read: db, Notify: true,
		Providers: []cashout.Provider{cashout.Manual{}}})
	if err != nil {
		w.stop()
		db.Close()
		return nil, err
	}
	gift := gifting.NewService(gifting.Config{Economy: econ, FX: money.NewLive(money.DefaultRates()), Write: w.write, WriteMany: w.writeMany, Read: db})
	return &payoutsEnv{db: db, cash: cash, gift: gift, stop: func() { w.stop(); db.Close() }}, nil
}

func newPayoutsCmd() *cobra.Command {
	var db, econ string
	cmd := &cobra.Command{Use: "payouts", Short: "The payouts queue: list withdrawals, export manual payouts, mark them paid or failed"}
	cmd.PersistentFlags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")
	cmd.PersistentFlags().StringVar(&econ, "economy", "", "economy file (default: the embedded seed preset)")
	open := func(cmd *cobra.Command) (*payoutsEnv, error) {
		if err := bindEnv(cmd); err != nil {
			return nil, err
		}
		return openPayouts(cmd.Context(), db, econ)
	}

	var status, provider string
	list := &cobra.Command{
		Use:   "list [--status S] [--provider P]",
		Short: "List withdrawals, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := open(cmd)
			if err != nil {
				return err
			}
			defer e.stop()
			ws, err := e.cash.List(cmd.Context(), cashout.WithdrawalFilter{Status: status, Provider: provider, Limit: 200})
			if err != nil {
				return err
			}
			return printWithdrawals(cmd.OutOrStdout(), ws)
		},
	}
	list.Flags().StringVar(&status, "status", "", "only this status (requested, processing, unclaimed, paid, failed, returned, cancelled)")
	list.Flags().StringVar(&provider, "provider", "", "only this provider (sandbox, manual, paypal)")

	var out string
	export := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Export every requested manual payout as a CSV batch for finance; they become processing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := open(cmd)
			if err != nil {
				return err
			}
			defer e.stop()
			ws, err := e.cash.ExportManual(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := cashout.WriteExportCSV(w, ws); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d payouts; mark each with glint payouts mark ID paid|failed\n", len(ws))
			return nil
		},
	}
	export.Flags().StringVar(&out, "out", "", "write the CSV to this new file (mode 0600) instead of stdout")

	var ref, reason string
	mark := &cobra.Command{
		Use:   "mark WITHDRAWAL_ID paid|failed|returned [--ref R] [--reason TEXT]",
		Short: "Record the outcome of a payout: paid posts the hold, failed or returned gives the diamonds back",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[1] {
			case cashout.StatusPaid, cashout.StatusFailed, cashout.StatusReturned:
			default:
				return fmt.Errorf("want paid, failed or returned, got %q", args[1])
			}
			e, err := open(cmd)
			if err != nil {
				return err
			}
			defer e.stop()
			w, _, err := e.cash.Resolve(cmd.Context(), gifting.Idem{}, args[0], args[1], ref, reason)
			if err != nil {
				return err
			}
			return printWithdrawals(cmd.OutOrStdout(), []*cashout.Withdrawal{w})
		},
	}
	mark.Flags().StringVar(&ref, "ref", "", "finance's reference for the payment")
	mark.Flags().StringVar(&reason, "reason", "", "why it failed or came back")

	cmd.AddCommand(list, export, mark)
	return cmd
}

func printWithdrawals(out io.Writer, ws []*cashout.Withdrawal) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tSTATUS\tDIAMONDS\tNET\tPAYOUT\tMETHOD\tPROVIDER\tREQUESTED")
	for _, w := range ws {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, w.UserID, w.Status, w.Diamonds, w.Quote.Net, w.Quote.Payout, w.Method, w.Provider, w.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}
