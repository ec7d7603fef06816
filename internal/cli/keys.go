package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/auth"
)

func init() { extraCommands = append(extraCommands, newKeysCmd) }

func newKeysCmd() *cobra.Command {
	var db string
	open := func(cmd *cobra.Command) (store, error) {
		if err := bindEnv(cmd); err != nil {
			return nil, err
		}
		d, err := openStore(cmd.Context(), db, false)
		if err != nil {
			return nil, err
		}
		if _, err := d.Migrate(cmd.Context()); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	cmd := &cobra.Command{Use: "keys", Short: "Create, list and revoke API keys"}
	cmd.PersistentFlags().StringVar(&db, "db", "glint.db", "SQLite database file or PostgreSQL DSN postgres://…")

	var scope, label string
	create := &cobra.Command{
		Use:   "create --scope admin|service",
		Short: "Create an API key and print it (shown once, stored hashed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			secret, k, err := auth.NewAPIKey(scope, label, time.Now())
			if err != nil {
				return err
			}
			if err := d.CreateAPIKey(cmd.Context(), k); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			fmt.Fprintf(cmd.ErrOrStderr(), "created %s key %s; it is shown only now\n", k.Scope, k.ID)
			return nil
		},
	}
	create.Flags().StringVar(&scope, "scope", "", "admin or service")
	create.Flags().StringVar(&label, "label", "", "a note to recognise the key by")
	_ = create.MarkFlagRequired("scope")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			keys, err := d.ListAPIKeys(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSCOPE\tCREATED\tSTATE\tLABEL")
			for _, k := range keys {
				state := "active"
				if k.RevokedAt != nil {
					state = "revoked " + k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Scope, k.CreatedAt.Format(time.RFC3339), state, k.Label)
			}
			return w.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key (takes effect within seconds on running servers)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := open(cmd)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.RevokeAPIKey(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, auth.ErrNotFound) {
					return fmt.Errorf("no active key %q", args[0])
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
