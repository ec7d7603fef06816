package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// StreamPath is a path parameter set.
type StreamPath struct {
	StreamID string `path:"stream_id" maxLength:"128"`
}

type startStreamInput struct {
	IdemHeader
	Body struct {
		ID        string `json:"id,omitempty" maxLength:"128" doc:"The platform's stream id; generated when absent"`
		CreatorID string `json:"creator_id" maxLength:"128"`
		Title     string `json:"title,omitempty" maxLength:"560"`
	}
}

type streamOutput struct {
	Body *gifting.StreamView
}

func (s *Server) startStream(ctx context.Context, in *startStreamInput) (*streamOutput, error) {
	if err := actFor(ctx, in.Body.CreatorID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/streams", in.Body)
	if err != nil {
		return nil, err
	}
	v, _, err := s.svc.StartStream(ctx, id, gifting.StartStreamInput{ID: in.Body.ID, CreatorID: in.Body.CreatorID, Title: in.Body.Title})
	if err != nil {
		return nil, err
	}
	return &streamOutput{Body: v}, nil
}

func (s *Server) getStream(ctx context.Context, in *StreamPath) (*streamOutput, error) {
	v, err := s.svc.GetStream(ctx, in.StreamID)
	if err != nil {
		return nil, err
	}
	return &streamOutput{Body: v}, nil
}

type endStreamInput struct {
	StreamPath
	IdemHeader
}

func (s *Server) endStream(ctx context.Context, in *endStreamInput) (*streamOutput, error) {
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/streams/"+in.StreamID+"/end", nil)
	if err != nil {
		return nil, err
	}
	actor := ""
	if p := principal(ctx); !p.IsService() {
		actor = p.UserID
	}
	v, _, err := s.svc.EndStream(ctx, id, in.StreamID, actor)
	if err != nil {
		return nil, err
	}
	return &streamOutput{Body: v}, nil
}

type leaderboardInput struct {
	StreamPath
	Limit int `query:"limit" minimum:"1" maximum:"100" default:"10"`
}

type leaderboardOutput struct {
	Body struct {
		StreamID string           `json:"stream_id"`
		Items    []gifting.Gifter `json:"items"`
	}
}

func (s *Server) leaderboard(ctx context.Context, in *leaderboardInput) (*leaderboardOutput, error) {
	items, err := s.svc.Leaderboard(ctx, in.StreamID, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &leaderboardOutput{}
	out.Body.StreamID, out.Body.Items = in.StreamID, items
	return out, nil
}
