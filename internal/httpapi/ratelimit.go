package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"

	"github.com/glint-economy/glint/internal/auth"
)

// RateLimits bound requests per second, per node: per API key (the
// platform's backends), per end user (a user token), and per client IP for
// requests without an API key. Each allows bursts of twice its rate. Zero
// turns a limit off.
type RateLimits struct {
	PerKey  float64
	PerUser float64
	PerIP   float64
}

// DefaultRateLimits protect people and the server without getting in a
// platform backend's way: API keys are not limited, a user token may make
// 20 requests a second (a person tapping gifts makes a few), and an
// address without an API key 100.
var DefaultRateLimits = RateLimits{PerKey: 0, PerUser: 20, PerIP: 100}

// limiterSet holds one token bucket per caller, forgetting callers idle for
// ten minutes.
type limiterSet struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiterSet(perSecond float64) *limiterSet {
	if perSecond <= 0 {
		return nil
	}
	return &limiterSet{limit: rate.Limit(perSecond), burst: max(1, int(math.Ceil(2*perSecond))), m: map[string]*bucket{}}
}

// allow takes a token for key; when there is none it returns how long until
// there will be.
func (s *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	if s == nil {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) > time.Minute {
		for k, b := range s.m {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(s.m, k)
			}
		}
		s.swept = now
	}
	b := s.m[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(s.limit, s.burst)}
		s.m[key] = b
	}
	b.seen = now
	if b.l.AllowN(now, 1) {
		return true, 0
	}
	r := b.l.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

type rateLimiter struct {
	key, user, ip *limiterSet
}

func newRateLimiter(l RateLimits) *rateLimiter {
	return &rateLimiter{key: newLimiterSet(l.PerKey), user: newLimiterSet(l.PerUser), ip: newLimiterSet(l.PerIP)}
}

// overLimit takes a token for the caller and, when there is none, returns
// the whole seconds (at least 1) to wait.
func (s *Server) overLimit(p auth.Principal, remoteAddr string) (int, bool) {
	now := time.Now()
	var ok bool
	var wait time.Duration
	switch {
	case p.KeyID != "":
		ok, wait = s.limits.key.allow(p.KeyID, now)
	default:
		ip := remoteAddr
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
		if ok, wait = s.limits.ip.allow(ip, now); ok && p.UserID != "" {
			ok, wait = s.limits.user.allow(p.UserID, now)
		}
	}
	if ok {
		return 0, false
	}
	return max(1, int(math.Ceil(wait.Seconds()))), true
}

func rateLimited(secs int) *apiError {
	return newAPIError(http.StatusTooManyRequests, "rate_limited", "too many requests: retry after "+strconv.Itoa(secs)+" s", map[string]any{"retry_after_seconds": secs})
}

// rateLimit is the huma middleware after authenticate: it answers 429 with
// Retry-After when the caller is over a limit.
func (s *Server) rateLimit(ctx huma.Context, next func(huma.Context)) {
	p, _ := ctx.Context().Value(principalKey{}).(auth.Principal)
	secs, limited := s.overLimit(p, ctx.RemoteAddr())
	if !limited {
		next(ctx)
		return
	}
	ctx.SetHeader("Retry-After", strconv.Itoa(secs))
	e := rateLimited(secs)
	_ = huma.WriteErr(s.api, ctx, e.status, e.ErrorBody.Error.Message, e)
}
