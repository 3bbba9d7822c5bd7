// Package images is the status API of the pipeline: it tells a signed-in user
// what became of the images they uploaded, and where their renditions are.
//
// # Contract
//
// Two routes of the API Gateway HTTP API, behind the same JWT (Cognito)
// authorizer as POST /uploads, payload format 2.0:
//
//	GET /images?limit=20&cursor=…   the caller's images, newest first
//	GET /images/{imageId}           one of them
//
// The list answers 200 with
//
//	{"images": [<image>, …], "nextCursor": "…"}
//
// where nextCursor is present exactly when more images follow: the client
// sends it back as ?cursor= for the next page. A page is never empty unless
// the user has no images at all. limit is 1 to [MaxPageSize], default
// [DefaultPageSize]. The cursor is opaque; it is bound to the user it was
// issued to, and refused for anyone else.
//
// An image, in a list or alone, is
//
//	{"imageId": "…", "status": "DONE",
//	 "original": {"width": 1800, "height": 1012, "format": "jpeg", "bytes": 345678},
//	 "lastModified": "2026-01-02T15:04:05Z",
//	 "variants": [{"name": "large", "width": 1600, "height": 900, "bytes": 123456,
//	               "url": "https://…", "expiresAt": "2026-01-02T15:09:05Z"}, …]}
//
// A FAILED image has "reason", a sentence for people, and no variants; its
// original may lack the fields the pipeline never learnt (a file that is not
// an image has no width). The original's width and height are as stored,
// before the EXIF orientation; a variant's are as rendered. Variant URLs are
// presigned S3 GETs valid for IMAGE_URL_EXPIRY (default 5 minutes): fetch
// them with a plain GET and ask the API again for fresh ones once expiresAt
// passes. lastModified is when the outcome was last recorded, so a redriven
// image moves to the top of the list.
//
// An image appears once the pipeline has recorded its outcome: right after
// the upload, GET /images/{imageId} is 404 for a few seconds. The list reads
// an eventually consistent index and may trail a single read by a moment.
//
// # Errors
//
// Every response is JSON with Cache-Control: no-store; a refusal has the body
// {"error": {"code": "...", "message": "..."}} where code is one of the Code*
// constants: 400 invalid_cursor, invalid_limit, invalid_image_id; 401
// unauthorized (a missing or malformed JWT sub); 404 not_found; 405
// method_not_allowed (with Allow); 500 internal_error; 503
// service_unavailable (with Retry-After). Another user's image and one that
// does not exist get byte-identical 404s, so that ids cannot be probed.
//
// # CORS
//
// As for POST /uploads: origins in CORS_ORIGINS (or any, with "*") get CORS
// headers on preflights and answers, others none.
package images
