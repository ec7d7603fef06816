package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/glint-economy/glint/internal/gifting"
)

// UserPath is a path parameter set.
type UserPath struct {
	UserID string `path:"user_id" maxLength:"128" doc:"The platform's own user id"`
}

type putUserInput struct {
	UserPath
	IdemHeader
	Body struct {
		DisplayName string `json:"display_name" maxLength:"256" doc:"1–64 characters; control and bidi-override characters are refused"`
		Country     string `json:"country,omitempty" maxLength:"2" doc:"ISO 3166-1 alpha-2; sets the local currency of payouts" example:"DE"`
		AgeVerified bool   `json:"age_verified" doc:"The platform has verified the user is old enough to send and receive gifts"`
	}
}

type userOutput struct {
	Body *gifting.User
}

func (s *Server) putUser(ctx context.Context, in *putUserInput) (*userOutput, error) {
	if err := requireService(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/users/"+in.UserID, in.Body)
	if err != nil {
		return nil, err
	}
	u, _, err := s.svc.PutUser(ctx, id, gifting.PutUserInput{ID: in.UserID, DisplayName: in.Body.DisplayName, Country: in.Body.Country, AgeVerified: in.Body.AgeVerified})
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

func (s *Server) getUser(ctx context.Context, in *UserPath) (*userOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	u, err := s.svc.GetUser(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

type walletOutput struct {
	Body *gifting.Wallet
}

func (s *Server) getWallet(ctx context.Context, in *UserPath) (*walletOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	w, err := s.svc.Wallet(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &walletOutput{Body: w}, nil
}

type tokenInput struct {
	UserPath
	Body *struct {
		TTLSeconds int `json:"ttl_seconds,omitempty" minimum:"60" maximum:"86400" doc:"Lifetime; default 900"`
	} `required:"false"`
}

type tokenOutput struct {
	Body struct {
		Token     string    `json:"token"`
		UserID    string    `json:"user_id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
}

func (s *Server) mintToken(ctx context.Context, in *tokenInput) (*tokenOutput, error) {
	if err := requireService(ctx); err != nil {
		return nil, err
	}
	if _, err := s.svc.GetUser(ctx, in.UserID); err != nil {
		return nil, err
	}
	ttl := s.cfg.UserTokenTTL
	if in.Body != nil && in.Body.TTLSeconds > 0 {
		ttl = time.Duration(in.Body.TTLSeconds) * time.Second
	}
	tok, exp, err := s.auth.MintUserToken(in.UserID, ttl)
	if err != nil {
		return nil, err
	}
	out := &tokenOutput{}
	out.Body.Token, out.Body.UserID, out.Body.ExpiresAt = tok, in.UserID, exp.UTC()
	return out, nil
}

type transactionsInput struct {
	UserPath
	Kind   []string  `query:"kind" enum:"purchase,gift_sent,gift_received" doc:"Only these kinds"`
	From   time.Time `query:"from" doc:"Only transactions at or after this time (RFC 3339)"`
	To     time.Time `query:"to" doc:"Only transactions before this time (RFC 3339)"`
	Cursor string    `query:"cursor" maxLength:"32" doc:"next_cursor of the previous page"`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type transactionsOutput struct {
	Body *gifting.HistoryPage
}

func (s *Server) listTransactions(ctx context.Context, in *transactionsInput) (*transactionsOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	page, err := s.svc.History(ctx, in.UserID, gifting.HistoryFilter{Kinds: in.Kind, From: in.From, To: in.To, Limit: in.Limit}, in.Cursor)
	if err != nil {
		return nil, err
	}
	return &transactionsOutput{Body: page}, nil
}
