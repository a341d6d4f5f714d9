package sumsub

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/sim"
)

// Fake plays Sumsub's API: GET /resources/applicants/{id}/one, signed with
// the app token and secret key, within a minute of its clock.
var Fake = sim.Fake{New: newFake, Document: fakeDocument}

func newFake(creds map[string]string, s sim.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /resources/applicants/{id}/one", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		ts := r.Header.Get(HeaderAccessTs)
		sec, err := strconv.ParseInt(ts, 10, 64)
		switch {
		case r.Header.Get(HeaderAppToken) != creds["app_token"]:
			sim.APIError(w, http.StatusUnauthorized, "unknown app token")
			return
		case err != nil || s.Now().Sub(time.Unix(sec, 0)).Abs() > time.Minute:
			sim.APIError(w, http.StatusUnauthorized, "request timestamp missing or more than a minute off")
			return
		case r.Header.Get(HeaderAccessSig) != RequestSignature(creds["secret_key"], ts, r.Method, r.RequestURI, body): // the path as sent
			sim.APIError(w, http.StatusUnauthorized, "invalid signature")
			return
		}
		j, ok := s.Journey(r.PathValue("id"))
		s.Serve(w, j, ok, fakeApplicant)
	})
	return mux
}

func fakeDocument(j sim.Journey) (string, string) {
	return []string{"PASSPORT", "ID_CARD", "DRIVERS"}[sim.DocumentKind(j)], sim.Country(j).Alpha3
}

func fakeApplicant(j sim.Journey) any {
	docType, country := fakeDocument(j)
	review := map[string]any{"levelName": "basic-kyc-level", "reviewStatus": "completed"}
	switch j.Want {
	case kycgate.StatusApproved:
		review["reviewResult"] = map[string]any{"reviewAnswer": "GREEN"}
	case kycgate.StatusDeclined:
		review["reviewResult"] = map[string]any{"reviewAnswer": "RED", "reviewRejectType": "FINAL", "rejectLabels": []string{"FORGERY"}}
	case kycgate.StatusOnHold:
		review["reviewStatus"] = "onHold"
	default:
		review["reviewStatus"] = "init"
	}
	return map[string]any{
		"id": j.VerificationID, "createdAt": "2026-11-22 10:00:00", "clientId": "kycgate-demo",
		"inspectionId": j.VerificationID[:20] + "beef", "externalUserId": j.ExternalUserID, "type": "individual",
		"email": "jane.doe@example.com", "lang": "en",
		"info": map[string]any{"firstName": "Jane", "lastName": "Doe", "dob": "1990-04-12", "country": country,
			"idDocs": []map[string]any{{"idDocType": docType, "country": country, "number": "C01X00T47"}}},
		"review": review,
	}
}
