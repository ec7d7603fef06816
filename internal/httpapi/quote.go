package httpapi

import (
	"context"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/money"
)

type quoteInput struct {
	Amount   string `query:"amount" required:"true" maxLength:"40" doc:"How much: an integer for coins and gifts, up to 3 decimals for diamonds, the currency's minor unit for money" example:"1000"`
	Unit     string `query:"unit" required:"true" maxLength:"64" doc:"coins, diamonds, a gift id or name (galaxy), or a currency code (usd)" example:"diamonds"`
	Currency string `query:"currency" maxLength:"3" doc:"Also show the value in this currency" example:"EUR"`
}

type quoteOutput struct {
	Body *economy.Quote
}

func (s *Server) quote(ctx context.Context, in *quoteInput) (*quoteOutput, error) {
	qi, err := economy.ParseInput(in.Amount, in.Unit)
	if err != nil {
		return nil, err
	}
	var cur money.Asset
	if in.Currency != "" {
		if cur, err = money.ParseCurrency(in.Currency); err != nil {
			return nil, errInvalid("currency", "unknown currency "+in.Currency)
		}
	}
	q, err := economy.Calculate(s.svc.Economy(), s.cfg.FX.Load(), qi, cur)
	if err != nil {
		return nil, err
	}
	return &quoteOutput{Body: q}, nil
}
