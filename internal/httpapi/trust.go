package httpapi

import (
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/gifting"
)

// trustRoutes registers the trust team's actions on accounts.
func (s *Server) trustRoutes() {
	for _, a := range []struct{ action, summary string }{
		{gifting.ActionBan, "Ban a user: no buying, sending, receiving or withdrawing; open withdrawals not yet with a provider are cancelled"},
		{gifting.ActionUnban, "Lift a ban, or reinstate a terminated account within its appeal window"},
		{gifting.ActionTerminate, "Terminate an account: frozen at once, its diamonds forfeited after the economy's appeal window"},
	} {
		action := a.action
		register(s, op("admin-"+action+"-user", http.MethodPost, "/v1/admin/users/{user_id}/"+action, a.summary, true, "admin"),
			func(ctx context.Context, in *statusInput) (*userOutput, error) { return s.setStatus(ctx, in, action) })
	}
	register(s, op("admin-hold-payouts", http.MethodPost, "/v1/admin/users/{user_id}/hold-payouts", "Hold a creator's payouts for review", true, "admin"),
		func(ctx context.Context, in *statusInput) (*userOutput, error) {
			return s.review(ctx, in, s.svc.HoldPayouts, "hold-payouts")
		})
	register(s, op("admin-release-payouts", http.MethodPost, "/v1/admin/users/{user_id}/release-payouts", "Release a creator's payouts held for review", true, "admin"),
		func(ctx context.Context, in *statusInput) (*userOutput, error) {
			return s.review(ctx, in, s.svc.ReleasePayouts, "release-payouts")
		})
	register(s, op("put-limits", http.MethodPut, "/v1/users/{user_id}/limits", "Set a viewer's own daily spending cap (a viewer may only lower it)", true, "users"), s.putLimits)
}

func (s *Server) review(ctx context.Context, in *statusInput, fn func(context.Context, gifting.Idem, string, string) (*gifting.User, bool, error), action string) (*userOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/admin/users/"+in.UserID+"/"+action, in.Body)
	if err != nil {
		return nil, err
	}
	u, _, err := fn(ctx, id, in.UserID, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

type limitsInput struct {
	UserPath
	IdemHeader
	Body struct {
		DailySpendCap int64 `json:"daily_spend_cap" minimum:"0" doc:"Coins a day; 0 removes the viewer's own cap (the economy's still applies)"`
	}
}

func (s *Server) putLimits(ctx context.Context, in *limitsInput) (*userOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/users/"+in.UserID+"/limits", in.Body)
	if err != nil {
		return nil, err
	}
	u, _, err := s.svc.SetSpendCap(ctx, id, in.UserID, in.Body.DailySpendCap, !principal(ctx).IsService())
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

type statusInput struct {
	UserPath
	IdemHeader
	Body struct {
		Reason string `json:"reason" maxLength:"2000" doc:"Why: kept with the account (status_reason)"`
	}
}

func (s *Server) setStatus(ctx context.Context, in *statusInput, action string) (*userOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/admin/users/"+in.UserID+"/"+action, in.Body)
	if err != nil {
		return nil, err
	}
	u, _, err := s.svc.SetStatus(ctx, id, in.UserID, action, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	if action != gifting.ActionUnban && s.cfg.Cashout != nil {
		if _, err := s.cfg.Cashout.VoidOpen(ctx, u.ID, "account "+u.Status+": "+u.StatusReason); err != nil {
			return nil, err
		}
	}
	return &userOutput{Body: u}, nil
}

// stripeRoutes registers Stripe's webhook.
func (s *Server) stripeRoutes() {
	register(s, op("stripe-webhook", http.MethodPost, "/v1/webhooks/stripe", "Stripe events: payments, refunds and chargebacks (signature-checked)", false, "webhooks"), s.stripeWebhook)
}

type stripeWebhookInput struct {
	Signature string `header:"Stripe-Signature"`
	RawBody   []byte
}

type stripeWebhookOutput struct {
	Body struct {
		Applied  bool              `json:"applied" doc:"The event changed a purchase (false for events glint does not act on)"`
		Purchase *gifting.Purchase `json:"purchase,omitempty"`
	}
}

func (s *Server) stripeWebhook(ctx context.Context, in *stripeWebhookInput) (*stripeWebhookOutput, error) {
	if s.cfg.Stripe == nil {
		return nil, newAPIError(http.StatusNotFound, "provider_not_configured", "the Stripe payment provider is not configured (glint serve --stripe-secret-key …)", nil)
	}
	ev, err := s.cfg.Stripe.Parse(in.RawBody, in.Signature)
	if err != nil {
		s.log.Warn("stripe webhook refused", "err", err)
		return nil, newAPIError(http.StatusBadRequest, "invalid_webhook", "the delivery could not be verified: "+err.Error(), nil)
	}
	out := &stripeWebhookOutput{}
	pe, ok := ev.PaymentEvent()
	if !ok {
		return out, nil
	}
	p, err := s.svc.HandlePayment(ctx, pe)
	if err != nil {
		return nil, err
	}
	out.Body.Applied, out.Body.Purchase = true, p
	return out, nil
}
