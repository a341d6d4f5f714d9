package sumsub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
)

// API headers of Sumsub's request signing.
const (
	HeaderAppToken  = "X-App-Token"
	HeaderAccessTs  = "X-App-Access-Ts"
	HeaderAccessSig = "X-App-Access-Sig"
)

// API fetches an applicant: GET /resources/applicants/{applicantId}/one,
// signed with the app token and its secret key.
var API = provider.APISpec{
	BaseURL: "https://api.sumsub.com",
	Keys:    []provider.APIKey{{Name: "app_token", Secret: true}, {Name: "secret_key", Secret: true}},
	New: func(c provider.APIConfig) (provider.API, error) {
		return &api{c}, nil
	},
	Parse: ParseApplicant,
}

type api struct{ provider.APIConfig }

func (a *api) Fetch(ctx context.Context, v *kycgate.Verification) (*provider.Document, error) {
	return provider.Get(ctx, a.APIConfig, "/resources/applicants/"+url.PathEscape(v.ID)+"/one", func(req *http.Request) {
		SignRequest(req, a.Get("app_token"), a.Get("secret_key"), a.Now(), nil)
	})
}

// SignRequest adds Sumsub's API authentication to req, whose body is body.
func SignRequest(req *http.Request, appToken, secretKey string, now time.Time, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set(HeaderAppToken, appToken)
	req.Header.Set(HeaderAccessTs, ts)
	req.Header.Set(HeaderAccessSig, RequestSignature(secretKey, ts, req.Method, req.URL.RequestURI(), body))
}

// RequestSignature is X-App-Access-Sig: the hex HMAC-SHA256, keyed with the
// secret key, of the timestamp, the upper-case method, the path with its
// query, and the body.
func RequestSignature(secretKey, ts, method, pathWithQuery string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(ts + method + pathWithQuery))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// applicant is the part of GET /resources/applicants/{id}/one kycgate
// reads; names, birth dates and addresses stay in the stored document.
type applicant struct {
	ID             string `json:"id"`
	ExternalUserID string `json:"externalUserId"`
	Info           struct {
		Country string `json:"country"`
		IDDocs  []struct {
			IDDocType string `json:"idDocType"`
			Country   string `json:"country"`
		} `json:"idDocs"`
	} `json:"info"`
	Review struct {
		LevelName    string       `json:"levelName"`
		ReviewStatus string       `json:"reviewStatus"`
		ReviewResult reviewResult `json:"reviewResult"`
	} `json:"review"`
}

// ParseApplicant reads an applicant document: its review (the decision
// and reject labels), level, and identity document's type and country.
func ParseApplicant(doc []byte) (kycgate.Change, error) {
	var a applicant
	if err := json.Unmarshal(doc, &a); err != nil {
		return kycgate.Change{}, fmt.Errorf("sumsub: decode applicant: %w", err)
	}
	if a.ID == "" {
		return kycgate.Change{}, fmt.Errorf("sumsub: the applicant document has no id")
	}
	review := payload{ReviewStatus: a.Review.ReviewStatus, ReviewResult: a.Review.ReviewResult}
	if review.ReviewStatus == "" {
		review.ReviewStatus = "init" // no review yet: no decision
	}
	c := kycgate.Change{ExternalUserID: a.ExternalUserID, Flow: a.Review.LevelName, DocumentCountry: a.Info.Country}
	c.Decision, c.Reasons = review.decision()
	if len(a.Info.IDDocs) > 0 {
		d := a.Info.IDDocs[0]
		c.DocumentType = d.IDDocType
		if d.Country != "" {
			c.DocumentCountry = d.Country
		}
	}
	return c, nil
}
