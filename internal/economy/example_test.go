package economy_test

import (
	"fmt"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

func ExampleCalculate() {
	in, err := economy.ParseInput("1000", "diamonds")
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := economy.Calculate(economy.Seed(), money.DefaultRates(), in, "USD")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("gross:", q.Gross)
	fmt.Println("net:", q.Net)
	fmt.Println("cash-out:", q.Cashout.Status, "the minimum,", q.Cashout.MissingDiamonds, "diamonds missing")
	// Output:
	// gross: 5.00 USD
	// net: 2.50 USD
	// cash-out: below the minimum, 19000 diamonds missing
}

func ExampleCalculate_gift() {
	in, err := economy.ParseInput("1", "rose")
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := economy.Calculate(economy.Seed(), nil, in, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range q.Steps[:2] {
		fmt.Printf("%s: %s\n", s.Label, s.Detail)
	}
	// Output:
	// gift → coins: 1 × Rose (1 coin) = 1 coin
	// coins → diamonds: 1 coin × 0.5 diamonds per coin (default rate) = 0.5 diamonds
}

func ExampleParseInput() {
	for _, arg := range [][2]string{{"3", "galaxy"}, {"100", "usd"}, {"1.5", "coins"}} {
		in, err := economy.ParseInput(arg[0], arg[1])
		fmt.Printf("%+v %v\n", in, err)
	}
	// Output:
	// {Kind:gift Amount:3 Gift:galaxy Currency:} <nil>
	// {Kind:money Amount:10000 Gift: Currency:USD} <nil>
	// {Kind: Amount:0 Gift: Currency:} amount "1.5": coins are whole numbers
}
