package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// GiftPath is a path parameter set.
type GiftPath struct {
	GiftID string `path:"gift_id" maxLength:"64"`
}

type adminPutGiftInput struct {
	GiftPath
	IdemHeader
	Body struct {
		Name        string `json:"name" maxLength:"256"`
		Coins       int64  `json:"coins" minimum:"1"`
		Streakable  bool   `json:"streakable"`
		DiamondRate string `json:"diamond_rate,omitempty" maxLength:"16" doc:"Diamonds per coin for this gift; empty for the economy's default"`
	}
}

type catalogGiftOutput struct {
	Body *gifting.CatalogGift
}

func (s *Server) adminPutGift(ctx context.Context, in *adminPutGiftInput) (*catalogGiftOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/admin/gifts/"+in.GiftID, in.Body)
	if err != nil {
		return nil, err
	}
	g, _, err := s.svc.PutGift(ctx, id, gifting.PutGiftInput{ID: in.GiftID, Name: in.Body.Name, Coins: in.Body.Coins, Streakable: in.Body.Streakable, DiamondRate: in.Body.DiamondRate, Actor: principal(ctx).ID()})
	if err != nil {
		return nil, err
	}
	return &catalogGiftOutput{Body: g}, nil
}

type adminGiftStateInput struct {
	GiftPath
	IdemHeader
}

func (s *Server) adminRetireGift(ctx context.Context, in *adminGiftStateInput) (*catalogGiftOutput, error) {
	return s.setGiftActive(ctx, in, false)
}

func (s *Server) adminRestoreGift(ctx context.Context, in *adminGiftStateInput) (*catalogGiftOutput, error) {
	return s.setGiftActive(ctx, in, true)
}

func (s *Server) setGiftActive(ctx context.Context, in *adminGiftStateInput, active bool) (*catalogGiftOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	action := "retire"
	if active {
		action = "restore"
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/admin/gifts/"+in.GiftID+"/"+action, nil)
	if err != nil {
		return nil, err
	}
	g, _, err := s.svc.SetGiftActive(ctx, id, in.GiftID, active, principal(ctx).ID())
	if err != nil {
		return nil, err
	}
	return &catalogGiftOutput{Body: g}, nil
}

type ledgerCheckOutput struct {
	Body struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
}

func (s *Server) adminLedgerCheck(ctx context.Context, _ *struct{}) (*ledgerCheckOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	problems, err := s.cfg.Check(ctx)
	if err != nil {
		return nil, err
	}
	out := &ledgerCheckOutput{}
	out.Body.OK = len(problems) == 0
	out.Body.Problems = []string{}
	for _, p := range problems {
		out.Body.Problems = append(out.Body.Problems, p.String())
	}
	return out, nil
}
