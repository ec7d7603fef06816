package money_test

import (
	"fmt"

	"github.com/govalues/decimal"

	"github.com/glint-economy/glint/internal/money"
)

func ExampleParse() {
	// Diamonds are kept in thousandths: half a diamond is 500 milli-diamonds.
	milli, err := money.Parse("505.5", 3)
	fmt.Println(milli, err)
	fmt.Println(money.FormatTrim(milli, 3))

	// More decimals than the unit has is an error, never a silent rounding.
	_, err = money.Parse("2.505", 2)
	fmt.Println(err)
	// Output:
	// 505500 <nil>
	// 505.5
	// more decimal places than the asset has: "2.505" has 3 decimal places, at most 2 allowed
}

func ExampleSplit() {
	// 2.53 USD gross at a 50% commission: the creator's half, 1.265, is
	// rounded half to even to 1.26; the platform keeps the rest, 1.27.
	net, commission, err := money.Split(253, 2, decimal.MustParse("0.5"))
	if err != nil {
		panic(err)
	}
	fmt.Println(money.Format(net, 2), money.Format(commission, 2))
	// Output:
	// 1.26 1.27
}

func ExampleRates_Convert() {
	fx := money.DefaultRates()
	eur, rate, err := fx.Convert(126, "USD", "EUR") // 1.26 USD
	if err != nil {
		panic(err)
	}
	fmt.Printf("1.26 USD × %s = %s EUR (FX table of %s)\n", rate, money.Format(eur, 2), fx.Date)
	// Output:
	// 1.26 USD × 0.9286 = 1.17 EUR (FX table of 2026-11-30)
}
