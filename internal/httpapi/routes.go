package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes lists every operation of the API in one place. Handlers live in
// one file per resource.
func (s *Server) routes() {
	// Calculator and catalog: public.
	register(s, op("quote", http.MethodGet, "/v1/quote", "Convert an amount between coins, diamonds and money, showing each step", false, "calculator"), s.quote)
	register(s, op("list-gifts", http.MethodGet, "/v1/catalog/gifts", "The gift catalog", false, "catalog"), s.listGifts)
	register(s, op("list-packages", http.MethodGet, "/v1/catalog/packages", "Coin packages of a channel and currency", false, "catalog"), s.listPackages)

	// Users and wallets.
	register(s, op("put-user", http.MethodPut, "/v1/users/{user_id}", "Create or update a user (service key)", true, "users"), s.putUser)
	register(s, op("get-user", http.MethodGet, "/v1/users/{user_id}", "A user's profile", true, "users"), s.getUser)
	register(s, op("get-wallet", http.MethodGet, "/v1/users/{user_id}/wallet", "A user's coins and diamonds, and what they are worth", true, "users"), s.getWallet)
	register(s, op("mint-user-token", http.MethodPost, "/v1/users/{user_id}/tokens", "Mint a short-lived token that acts as this user (service key)", true, "users"), s.mintToken)
	register(s, op("list-transactions", http.MethodGet, "/v1/users/{user_id}/transactions", "A user's history, newest first, with cursor pagination", true, "users"), s.listTransactions)

	// Coin store.
	register(s, withStatus(op("create-purchase", http.MethodPost, "/v1/purchases", "Buy a coin package", true, "store"), http.StatusCreated), s.createPurchase)

	// Live streams, gifts, streaks.
	register(s, withStatus(op("start-stream", http.MethodPost, "/v1/streams", "A creator goes live", true, "streams"), http.StatusCreated), s.startStream)
	register(s, op("get-stream", http.MethodGet, "/v1/streams/{stream_id}", "A stream with its totals and top gifters", true, "streams"), s.getStream)
	register(s, op("end-stream", http.MethodPost, "/v1/streams/{stream_id}/end", "End a live stream", true, "streams"), s.endStream)
	register(s, op("get-leaderboard", http.MethodGet, "/v1/streams/{stream_id}/leaderboard", "A stream's top gifters", true, "streams"), s.leaderboard)
	register(s, withStatus(op("send-gift", http.MethodPost, "/v1/streams/{stream_id}/gifts", "Send a gift in a live stream", true, "gifts"), http.StatusCreated), s.sendGift)
	register(s, op("get-combo", http.MethodGet, "/v1/streams/{stream_id}/combos/{combo_id}", "A streak's running count", true, "gifts"), s.getCombo)
	register(s, op("end-combo", http.MethodPost, "/v1/streams/{stream_id}/combos/{combo_id}/end", "End a streak now", true, "gifts"), s.endCombo)

	// Admin.
	register(s, op("admin-put-gift", http.MethodPut, "/v1/admin/gifts/{gift_id}", "Create or change a gift: a new catalog version", true, "admin"), s.adminPutGift)
	register(s, op("admin-retire-gift", http.MethodPost, "/v1/admin/gifts/{gift_id}/retire", "Retire a gift: it can no longer be sent", true, "admin"), s.adminRetireGift)
	register(s, op("admin-restore-gift", http.MethodPost, "/v1/admin/gifts/{gift_id}/restore", "Restore a retired gift", true, "admin"), s.adminRestoreGift)
	register(s, op("admin-ledger-check", http.MethodGet, "/v1/admin/ledger/check", "Check every ledger invariant now", true, "admin"), s.adminLedgerCheck)

	s.batchRoutes()
	s.cashoutRoutes()
	s.fxRoutes()
	s.reportRoutes()
	s.auditRoutes()
	s.trustRoutes()
	s.stripeRoutes()
	s.boardRoutes()
}

func withStatus(o huma.Operation, status int) huma.Operation {
	o.DefaultStatus = status
	return o
}
