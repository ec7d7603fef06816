package httpapi

import (
	"context"

	"github.com/glint-economy/glint/internal/economy"
	"github.com/glint-economy/glint/internal/gifting"
)

type giftsOutput struct {
	Body struct {
		Items []gifting.CatalogGift `json:"items"`
	}
}

func (s *Server) listGifts(ctx context.Context, _ *struct{}) (*giftsOutput, error) {
	items, err := s.svc.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	out := &giftsOutput{}
	out.Body.Items = items
	return out, nil
}

type packagesInput struct {
	Channel  string `query:"channel" enum:"web,app" default:"web" doc:"Where the coins are bought: web or app (in-app prices differ)"`
	Currency string `query:"currency" default:"USD" maxLength:"3" example:"USD"`
}

// PackageView is a coin package as the API shows it.
type PackageView struct {
	ID      string         `json:"id" example:"web-usd-350"`
	Channel string         `json:"channel"`
	Coins   int64          `json:"coins"`
	Price   economy.Amount `json:"price"`
}

type packagesOutput struct {
	Body struct {
		Items []PackageView `json:"items"`
	}
}

func (s *Server) listPackages(ctx context.Context, in *packagesInput) (*packagesOutput, error) {
	pkgs, err := s.svc.Packages(in.Channel, in.Currency)
	if err != nil {
		return nil, err
	}
	out := &packagesOutput{}
	out.Body.Items = make([]PackageView, 0, len(pkgs))
	for _, p := range pkgs {
		out.Body.Items = append(out.Body.Items, PackageView{ID: p.ID, Channel: p.Channel, Coins: p.Coins, Price: economy.NewAmount(p.Price, p.Currency)})
	}
	return out, nil
}
