package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

func newCalcCmd() *cobra.Command {
	var (
		currency    string
		asJSON      bool
		economyPath string
		fxPath      string
	)
	cmd := &cobra.Command{
		Use:   "calc AMOUNT UNIT",
		Short: "Convert coins, gifts, diamonds or money into every other unit, step by step",
		Long: `calc shows what an amount is worth in the economy: coins, diamonds, gross value,
commission, net value and how it compares to the cash-out minimum, with every step.

UNIT is coins, diamonds, a gift of the catalog (id or name, e.g. rose, galaxy,
ice-cream-cone) or a currency code (usd, eur, …). A money amount is a gross value:
100 usd is the diamonds worth 100 USD before commission.`,
		Example: `  glint calc 1000 diamonds
  glint calc 3 galaxy
  glint calc 34999 coins --currency EUR
  glint calc 100 usd --json`,
		Args: cobra.ExactArgs(2),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := economy.ParseInput(args[0], args[1])
			if err != nil {
				return err
			}
			var cur money.Asset
			if currency != "" {
				if cur, err = money.ParseCurrency(currency); err != nil {
					return fmt.Errorf("--currency %q: unknown currency", currency)
				}
			}
			e, err := loadEconomy(economyPath)
			if err != nil {
				return err
			}
			fx, err := loadRates(fxPath)
			if err != nil {
				return err
			}
			q, err := economy.Calculate(e, fx, in, cur)
			if err != nil {
				return err
			}
			return writeQuote(cmd.OutOrStdout(), q, asJSON)
		},
	}
	// "glint calc -5 coins" would otherwise fail as an unknown flag -5.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		var ne *pflag.NotExistError
		if errors.As(err, &ne) {
			if s := ne.GetSpecifiedShortnames(); s != "" && strings.IndexAny(s[:1], "0123456789.") == 0 {
				return fmt.Errorf("amount \"-%s\": must be greater than zero", s)
			}
		}
		return err
	})
	f := cmd.Flags()
	f.StringVar(&currency, "currency", "", "also show the value in this currency (default: the diamond's currency, or the input's for a money amount)")
	f.BoolVar(&asJSON, "json", false, "write the quote as JSON, as GET /v1/quote serves it")
	f.StringVar(&economyPath, "economy", "", "economy file (default: the embedded seed preset; env GLINT_ECONOMY)")
	f.StringVar(&fxPath, "fx", "", "FX table file (default: the embedded table; env GLINT_FX)")
	return cmd
}

func writeQuote(w io.Writer, q *economy.Quote, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(q)
	}
	_, err := io.WriteString(w, q.String())
	return err
}
