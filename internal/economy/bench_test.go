package economy_test

import (
	"testing"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

func BenchmarkCalculate(b *testing.B) {
	e, fx := economy.Seed(), money.DefaultRates()
	for _, c := range []struct{ name, amount, unit, cur string }{
		{"diamonds", "1000", "diamonds", ""},
		{"gift-eur", "3", "galaxy", "EUR"},
		{"money", "100", "usd", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			in, err := economy.ParseInput(c.amount, c.unit)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := economy.Calculate(e, fx, in, money.Asset(c.cur)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDiamondsForCoins(b *testing.B) {
	e := economy.Seed()
	g, _ := e.Gift("rose")
	rate := e.GiftRate(g)
	for b.Loop() {
		if _, err := economy.DiamondsForCoins(10, rate); err != nil {
			b.Fatal(err)
		}
	}
}
