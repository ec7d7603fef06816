package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

type purchaseInput struct {
	IdemHeader
	Body struct {
		UserID    string `json:"user_id" maxLength:"128"`
		PackageID string `json:"package_id" maxLength:"64" example:"web-usd-350"`
		Provider  string `json:"provider,omitempty" maxLength:"32" default:"sandbox" doc:"sandbox completes at once"`
	}
}

type purchaseOutput struct {
	Body *gifting.Purchase
}

func (s *Server) createPurchase(ctx context.Context, in *purchaseInput) (*purchaseOutput, error) {
	if err := actFor(ctx, in.Body.UserID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, true, http.MethodPost, "/v1/purchases", in.Body)
	if err != nil {
		return nil, err
	}
	p, _, err := s.svc.Purchase(ctx, id, gifting.PurchaseInput{UserID: in.Body.UserID, PackageID: in.Body.PackageID, Provider: in.Body.Provider})
	if err != nil {
		return nil, err
	}
	return &purchaseOutput{Body: p}, nil
}
