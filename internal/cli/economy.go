package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

// loadEconomy returns the economy file at path, parsed and validated, or the
// embedded seed preset when path is empty.
func loadEconomy(path string) (*economy.Economy, error) {
	if path == "" {
		return economy.Seed(), nil
	}
	return economy.Load(path)
}

// loadRates returns the FX table at path, or the one embedded in the binary
// when path is empty.
func loadRates(path string) (*money.Rates, error) {
	if path == "" {
		return money.DefaultRates(), nil
	}
	return money.LoadRates(path)
}

func newEconomyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "economy",
		Short: "Print or check an economy file (the rules of the gifting economy)",
		Long: "An economy file holds every rule of the gifting economy: diamond value, gift rates, commission,\n" +
			"withdrawal rules, coin price books and the gift catalog. glint ships with the \"seed\" preset.\n" +
			"See docs/ECONOMY.md.",
	}
	cmd.AddCommand(newEconomyPrintCmd(), newEconomyCheckCmd())
	return cmd
}

func newEconomyPrintCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "print",
		Short: "Write the embedded seed economy file (or --economy FILE) to stdout",
		Args:  cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := economy.SeedFile()
			if path != "" {
				e, err := economy.Load(path)
				if err != nil {
					return err
				}
				b = e.Raw
			}
			_, err := cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&path, "economy", "", "economy file to print instead of the seed preset (env GLINT_ECONOMY)")
	return cmd
}

func newEconomyCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Validate an economy file",
		Long: "check parses and validates an economy file. It prints \"FILE: ok (N gifts, M price books)\",\n" +
			"or the first error with the line and field it is about, and exits 1.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			e, err := economy.Load(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s, %s)\n", path, nounCount(len(e.Gifts), "gift"), nounCount(len(e.Packages), "price book"))
			return nil
		},
	}
}

// nounCount writes "1 gift", "19 gifts".
func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
