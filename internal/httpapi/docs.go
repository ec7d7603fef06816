package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// docsFS holds Swagger UI (swagger-ui-dist from npm, Apache-2.0, see
// docsui/LICENSE), served from the binary so /docs needs no CDN.
//
//go:embed docsui
var docsFS embed.FS

func docsHandler() http.Handler {
	sub, _ := fs.Sub(docsFS, "docsui")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		name := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/docs"), "/")
		if name == "" || name == "index.html" {
			b, _ := fs.ReadFile(sub, "index.html")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(b)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	})
}
