package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// GiftRequest is the body of a gift.
type GiftRequest struct {
	SenderID string `json:"sender_id" maxLength:"128"`
	GiftID   string `json:"gift_id" maxLength:"64" example:"rose"`
	Quantity int64  `json:"quantity" minimum:"1" doc:"How many of the gift; at most the economy's max_quantity"`
	ComboID  string `json:"combo_id,omitempty" maxLength:"128" doc:"Gifts of one streakable gift sharing a combo id form a streak"`
}

type sendGiftInput struct {
	StreamPath
	IdemHeader
	Body GiftRequest
}

type giftOutput struct {
	Body *gifting.GiftResult
}

func (s *Server) sendGift(ctx context.Context, in *sendGiftInput) (*giftOutput, error) {
	if err := actFor(ctx, in.Body.SenderID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, true, http.MethodPost, "/v1/streams/"+in.StreamID+"/gifts", in.Body)
	if err != nil {
		return nil, err
	}
	g, _, err := s.svc.SendGift(ctx, id, gifting.SendGiftInput{StreamID: in.StreamID, SenderID: in.Body.SenderID, GiftID: in.Body.GiftID, Quantity: in.Body.Quantity, ComboID: in.Body.ComboID})
	if err != nil {
		return nil, err
	}
	return &giftOutput{Body: g}, nil
}

// ComboPath is a path parameter set.
type ComboPath struct {
	StreamPath
	ComboID string `path:"combo_id" maxLength:"128"`
}

type comboOutput struct {
	Body *gifting.ComboView
}

func (s *Server) getCombo(ctx context.Context, in *ComboPath) (*comboOutput, error) {
	c, err := s.svc.GetCombo(ctx, in.StreamID, in.ComboID)
	if err != nil {
		return nil, err
	}
	return &comboOutput{Body: c}, nil
}

type endComboInput struct {
	ComboPath
	IdemHeader
}

func (s *Server) endCombo(ctx context.Context, in *endComboInput) (*comboOutput, error) {
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/streams/"+in.StreamID+"/combos/"+in.ComboID+"/end", nil)
	if err != nil {
		return nil, err
	}
	actor := ""
	if p := principal(ctx); !p.IsService() {
		actor = p.UserID
	}
	c, _, err := s.svc.EndCombo(ctx, id, in.StreamID, in.ComboID, actor)
	if err != nil {
		return nil, err
	}
	return &comboOutput{Body: c}, nil
}
