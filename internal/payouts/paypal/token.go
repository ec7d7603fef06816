package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	refreshBefore = 5 * time.Minute // how long before its expiry a cached token is replaced
	maxTokenTTL   = 24 * time.Hour  // a longer expires_in is capped (PayPal's is about 9 hours)
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"` // seconds
}

// accessToken returns the cached access token, fetching a new one with the
// client-credentials grant when there is none or it is about to expire.
// Concurrent callers wait for one fetch.
func (p *Provider) accessToken(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && p.now().Before(p.expires) {
		return p.token, nil
	}
	tok, ttl, err := p.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	margin := refreshBefore
	if ttl <= 2*margin {
		margin = ttl / 2
	}
	p.token, p.expires = tok, p.now().Add(ttl-margin)
	return p.token, nil
}

// dropToken forgets the cached token if it is still stale, so that the next
// call fetches a new one; a token another caller already replaced is kept.
func (p *Provider) dropToken(stale string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token == stale {
		p.token, p.expires = "", time.Time{}
	}
}

func (p *Provider) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/v1/oauth2/token", strings.NewReader(form))
	if err != nil {
		return "", 0, fmt.Errorf("token: %w", err)
	}
	req.SetBasicAuth(p.clientID, p.clientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := p.do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token: %w", err)
	}
	if status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &e) // the OAuth2 error body is optional
		return "", 0, fmt.Errorf("token: %w", &APIError{Status: status, Name: e.Error, Message: e.Description})
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return "", 0, fmt.Errorf("token: decode: %w", err)
	}
	if t.AccessToken == "" {
		return "", 0, errors.New("token: response has no access_token")
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "Bearer") {
		return "", 0, fmt.Errorf("token: unexpected token_type %q", t.TokenType)
	}
	if t.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("token: bad expires_in %d", t.ExpiresIn)
	}
	ttl := maxTokenTTL
	if t.ExpiresIn < int64(maxTokenTTL/time.Second) {
		ttl = time.Duration(t.ExpiresIn) * time.Second
	}
	return t.AccessToken, ttl, nil
}
