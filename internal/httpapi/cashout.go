package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/glint-economy/glint/internal/cashout"
	"github.com/glint-economy/glint/internal/gifting"
)

// cashoutRoutes registers payout methods, withdrawals, the payouts queue
// and the payout providers' webhooks.
func (s *Server) cashoutRoutes() {
	if s.cfg.Cashout == nil {
		return
	}
	register(s, op("get-payout-standing", http.MethodGet, "/v1/users/{user_id}/payout-method", "A creator's payout methods (masked) and identity status", true, "cashout"), s.getStanding)
	register(s, op("put-payout-method", http.MethodPut, "/v1/users/{user_id}/payout-method", "Put a payout method on file (PayPal or bank) and make it the default", true, "cashout"), s.putMethod)
	register(s, op("put-kyc", http.MethodPut, "/v1/users/{user_id}/kyc", "Record a creator's identity-check status (service key)", true, "cashout"), s.putKYC)
	register(s, withStatus(op("request-withdrawal", http.MethodPost, "/v1/users/{user_id}/withdrawals", "Cash out diamonds: checks the rules, locks the quote, holds the diamonds", true, "cashout"), http.StatusCreated), s.requestWithdrawal)
	register(s, op("list-withdrawals", http.MethodGet, "/v1/users/{user_id}/withdrawals", "A creator's withdrawals with their breakdown, newest first", true, "cashout"), s.listWithdrawals)
	register(s, op("get-withdrawal", http.MethodGet, "/v1/users/{user_id}/withdrawals/{withdrawal_id}", "One withdrawal", true, "cashout"), s.getWithdrawal)
	register(s, op("cancel-withdrawal", http.MethodPost, "/v1/users/{user_id}/withdrawals/{withdrawal_id}/cancel", "Cancel a withdrawal not yet sent to the provider", true, "cashout"), s.cancelWithdrawal)

	register(s, op("admin-list-withdrawals", http.MethodGet, "/v1/admin/withdrawals", "The payouts queue: withdrawals by status and provider", true, "admin"), s.adminListWithdrawals)
	register(s, op("admin-mark-withdrawal", http.MethodPost, "/v1/admin/withdrawals/{withdrawal_id}/mark", "Mark a withdrawal paid, failed or returned (manual payouts)", true, "admin"), s.adminMarkWithdrawal)
	register(s, op("admin-export-payouts", http.MethodPost, "/v1/admin/payouts/export", "Export the manual payouts waiting as a CSV batch; they become processing", true, "admin"), s.adminExportPayouts)

	register(s, op("paypal-webhook", http.MethodPost, "/v1/webhooks/paypal", "PayPal payout-item events (signature-checked)", false, "webhooks"), s.paypalWebhook)
}

type payoutStandingOutput struct {
	Body *cashout.PayoutStanding
}

func (s *Server) getStanding(ctx context.Context, in *UserPath) (*payoutStandingOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	p, err := s.cfg.Cashout.GetStanding(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return &payoutStandingOutput{Body: p}, nil
}

type putMethodInput struct {
	UserPath
	IdemHeader
	Body struct {
		Kind          string `json:"kind" enum:"paypal,bank"`
		PayPalEmail   string `json:"paypal_email,omitempty" maxLength:"254"`
		HolderName    string `json:"holder_name,omitempty" maxLength:"256"`
		IBAN          string `json:"iban,omitempty" maxLength:"64"`
		AccountNumber string `json:"account_number,omitempty" maxLength:"32"`
		RoutingNumber string `json:"routing_number,omitempty" maxLength:"32"`
	}
}

func (s *Server) putMethod(ctx context.Context, in *putMethodInput) (*payoutStandingOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/users/"+in.UserID+"/payout-method", in.Body)
	if err != nil {
		return nil, err
	}
	b := in.Body
	p, _, err := s.cfg.Cashout.PutMethod(ctx, id, in.UserID, cashout.Method{Kind: b.Kind, PayPalEmail: b.PayPalEmail, HolderName: b.HolderName,
		IBAN: b.IBAN, AccountNumber: b.AccountNumber, RoutingNumber: b.RoutingNumber})
	if err != nil {
		return nil, err
	}
	return &payoutStandingOutput{Body: cashout.Standing(p)}, nil
}

type putKYCInput struct {
	UserPath
	IdemHeader
	Body struct {
		Status string `json:"status" enum:"none,pending,verified,rejected"`
	}
}

func (s *Server) putKYC(ctx context.Context, in *putKYCInput) (*payoutStandingOutput, error) {
	if err := requireService(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPut, "/v1/users/"+in.UserID+"/kyc", in.Body)
	if err != nil {
		return nil, err
	}
	p, _, err := s.cfg.Cashout.SetKYC(ctx, id, in.UserID, in.Body.Status)
	if err != nil {
		return nil, err
	}
	return &payoutStandingOutput{Body: cashout.Standing(p)}, nil
}

type requestWithdrawalInput struct {
	UserPath
	IdemHeader
	Body struct {
		Diamonds string `json:"diamonds" maxLength:"32" doc:"Diamonds to cash out, a decimal string (\"20000\")"`
		Method   string `json:"method,omitempty" enum:"paypal,bank" doc:"A method on file; the default when omitted"`
	}
}

type withdrawalOutput struct {
	Body *cashout.Withdrawal
}

func (s *Server) requestWithdrawal(ctx context.Context, in *requestWithdrawalInput) (*withdrawalOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, true, http.MethodPost, "/v1/users/"+in.UserID+"/withdrawals", in.Body)
	if err != nil {
		return nil, err
	}
	w, _, err := s.cfg.Cashout.Request(ctx, id, cashout.RequestInput{UserID: in.UserID, Diamonds: in.Body.Diamonds, Method: in.Body.Method})
	if err != nil {
		return nil, err
	}
	return &withdrawalOutput{Body: w}, nil
}

type listWithdrawalsInput struct {
	UserPath
	Status string `query:"status" enum:"requested,processing,unclaimed,paid,failed,returned,cancelled"`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type withdrawalList struct {
	Withdrawals []*cashout.Withdrawal `json:"withdrawals"`
	NextCursor  string                `json:"next_cursor,omitempty"`
}

type withdrawalListOutput struct {
	Body withdrawalList
}

func pageOf(ws []*cashout.Withdrawal, limit int) *withdrawalListOutput {
	out := &withdrawalListOutput{Body: withdrawalList{Withdrawals: ws}}
	if len(ws) == limit && limit > 0 {
		out.Body.NextCursor = ws[len(ws)-1].ID
	}
	return out
}

func (s *Server) listWithdrawals(ctx context.Context, in *listWithdrawalsInput) (*withdrawalListOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	if _, err := s.svc.GetUser(ctx, in.UserID); err != nil {
		return nil, err
	}
	ws, err := s.cfg.Cashout.List(ctx, cashout.WithdrawalFilter{UserID: in.UserID, Status: in.Status, Before: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return pageOf(ws, in.Limit), nil
}

// WithdrawalPath is a path parameter set.
type WithdrawalPath struct {
	UserPath
	WithdrawalID string `path:"withdrawal_id" maxLength:"64"`
}

func (s *Server) getWithdrawal(ctx context.Context, in *WithdrawalPath) (*withdrawalOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	w, err := s.cfg.Cashout.Get(ctx, in.WithdrawalID)
	if err != nil || w.UserID != in.UserID {
		return nil, gifting.NotFound("withdrawal", in.WithdrawalID)
	}
	return &withdrawalOutput{Body: w}, nil
}

type cancelWithdrawalInput struct {
	WithdrawalPath
	IdemHeader
}

func (s *Server) cancelWithdrawal(ctx context.Context, in *cancelWithdrawalInput) (*withdrawalOutput, error) {
	if err := actFor(ctx, in.UserID); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, false, http.MethodPost, "/v1/users/"+in.UserID+"/withdrawals/"+in.WithdrawalID+"/cancel", nil)
	if err != nil {
		return nil, err
	}
	w, _, err := s.cfg.Cashout.Cancel(ctx, id, in.UserID, in.WithdrawalID)
	if err != nil {
		return nil, err
	}
	return &withdrawalOutput{Body: w}, nil
}

type adminListWithdrawalsInput struct {
	Status   string `query:"status" enum:"requested,processing,unclaimed,paid,failed,returned,cancelled"`
	Provider string `query:"provider" maxLength:"32"`
	UserID   string `query:"user_id" maxLength:"128"`
	Cursor   string `query:"cursor" maxLength:"64"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

func (s *Server) adminListWithdrawals(ctx context.Context, in *adminListWithdrawalsInput) (*withdrawalListOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	ws, err := s.cfg.Cashout.List(ctx, cashout.WithdrawalFilter{UserID: in.UserID, Status: in.Status, Provider: in.Provider, Before: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return pageOf(ws, in.Limit), nil
}

type adminMarkInput struct {
	WithdrawalID string `path:"withdrawal_id" maxLength:"64"`
	IdemHeader
	Body struct {
		Status      string `json:"status" enum:"paid,failed,returned"`
		ProviderRef string `json:"provider_ref,omitempty" maxLength:"128" doc:"Finance's reference for the payment (bank transfer id …)"`
		Reason      string `json:"reason,omitempty" maxLength:"512"`
	}
}

func (s *Server) adminMarkWithdrawal(ctx context.Context, in *adminMarkInput) (*withdrawalOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := idem(ctx, in.IdemHeader, true, http.MethodPost, "/v1/admin/withdrawals/"+in.WithdrawalID+"/mark", in.Body)
	if err != nil {
		return nil, err
	}
	w, _, err := s.cfg.Cashout.Resolve(ctx, id, in.WithdrawalID, in.Body.Status, in.Body.ProviderRef, in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &withdrawalOutput{Body: w}, nil
}

type csvOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (s *Server) adminExportPayouts(ctx context.Context, _ *struct{}) (*csvOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	ws, err := s.cfg.Cashout.ExportManual(ctx)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := cashout.WriteExportCSV(&b, ws); err != nil {
		return nil, err
	}
	return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="payouts.csv"`, Body: b.Bytes()}, nil
}

type paypalWebhookInput struct {
	AuthAlgo         string `header:"PAYPAL-AUTH-ALGO"`
	CertURL          string `header:"PAYPAL-CERT-URL"`
	TransmissionID   string `header:"PAYPAL-TRANSMISSION-ID"`
	TransmissionSig  string `header:"PAYPAL-TRANSMISSION-SIG"`
	TransmissionTime string `header:"PAYPAL-TRANSMISSION-TIME"`
	RawBody          []byte
}

type webhookOutput struct {
	Body struct {
		Applied int `json:"applied" doc:"Withdrawals the delivery changed"`
	}
}

func (s *Server) paypalWebhook(ctx context.Context, in *paypalWebhookInput) (*webhookOutput, error) {
	p, ok := s.cfg.Cashout.Provider("paypal")
	wp, isWebhook := p.(cashout.WebhookProvider)
	if !ok || !isWebhook {
		return nil, newAPIError(http.StatusNotFound, "provider_not_configured", "the PayPal payout provider is not configured (glint serve --payouts paypal)", nil)
	}
	h := map[string]string{
		"PAYPAL-AUTH-ALGO": in.AuthAlgo, "PAYPAL-CERT-URL": in.CertURL, "PAYPAL-TRANSMISSION-ID": in.TransmissionID,
		"PAYPAL-TRANSMISSION-SIG": in.TransmissionSig, "PAYPAL-TRANSMISSION-TIME": in.TransmissionTime,
	}
	updates, err := wp.Webhook(ctx, func(k string) string { return h[k] }, in.RawBody)
	if err != nil {
		s.log.Warn("paypal webhook refused", "err", err)
		return nil, newAPIError(http.StatusBadRequest, "invalid_webhook", "the delivery could not be verified", nil)
	}
	n, err := s.cfg.Cashout.ApplyUpdates(ctx, "paypal", updates)
	if err != nil {
		return nil, err
	}
	out := &webhookOutput{}
	out.Body.Applied = n
	return out, nil
}
