package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/gifting"
)

func init() { extraCommands = append(extraCommands, newUsersCmd) }

func newUsersCmd() *cobra.Command {
	var db, econ, reason string
	cmd := &cobra.Command{Use: "users", Short: "The trust team's actions: ban, unban or terminate an account"}
	cmd.PersistentFlags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")
	cmd.PersistentFlags().StringVar(&econ, "economy", "", "economy file (default: the embedded seed preset)")
	for _, a := range []struct{ action, short string }{
		{gifting.ActionBan, "Ban a user: no buying, sending, receiving or withdrawing; requested withdrawals are cancelled"},
		{gifting.ActionUnban, "Lift a ban, or reinstate a terminated account within its appeal window"},
		{gifting.ActionTerminate, "Terminate an account: frozen at once, its diamonds forfeited after the appeal window"},
	} {
		action := a.action
		sub := &cobra.Command{
			Use:   action + " USER_ID --reason TEXT",
			Short: a.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := bindEnv(cmd); err != nil {
					return err
				}
				e, err := openPayouts(cmd.Context(), db, econ)
				if err != nil {
					return err
				}
				defer e.stop()
				u, _, err := e.gift.SetStatus(cmd.Context(), gifting.Idem{}, args[0], action, reason)
				if err != nil {
					return err
				}
				if action != gifting.ActionUnban {
					voided, err := e.cash.VoidOpen(cmd.Context(), u.ID, "account "+u.Status+": "+u.StatusReason)
					if err != nil {
						return err
					}
					if len(voided) > 0 {
						fmt.Fprintf(cmd.ErrOrStderr(), "cancelled %d requested withdrawal(s); their diamonds are back in the account\n", len(voided))
					}
				}
				b, err := json.MarshalIndent(u, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			},
		}
		sub.Flags().StringVar(&reason, "reason", "", "why (required; kept with the account)")
		_ = sub.MarkFlagRequired("reason")
		cmd.AddCommand(sub)
	}
	return cmd
}
