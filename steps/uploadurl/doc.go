// Package uploadurl is the front door of the pipeline: it gives a signed-in
// user a presigned S3 PUT URL for one image, under that user's own prefix.
//
// # Contract
//
// POST /uploads, behind an API Gateway HTTP API route with a JWT (Cognito)
// authorizer, payload format 2.0. The body is
//
//	{"contentType": "image/jpeg", "contentLength": 123456}
//
// and a 201 answers
//
//	{"upload_url": "https://…", "file_path": "user-uploads/<sub>/<imageId>.jpg",
//	 "image_id": "<imageId>", "method": "PUT",
//	 "headers": {"Content-Type": "image/jpeg", "Content-Length": "123456"},
//	 "expires_at": "2026-01-02T15:04:05Z"}
//
// The client then sends the file with that method, to that URL, with those
// headers and nothing else required. Content-Type and Content-Length are
// signed, so S3 refuses a file of another type or size. (Browsers set
// Content-Length themselves from the body; it is listed so that other
// clients know it must match.)
//
// The user id is the token's sub claim, which must pass objectkey.ValidID;
// the extension comes from the content type (image/jpeg → jpg). The user id is
// not also signed as x-amz-meta-user-id: it is already in the signed key,
// which is where fetch reads it from, and one more header the client must
// copy exactly would only be one more way to fail an upload.
//
// # Errors
//
// Every response is JSON with Cache-Control: no-store; a refusal has the body
// {"error": {"code": "...", "message": "..."}} where code is one of the Code*
// constants: 400 invalid_json, missing_field, invalid_field; 401
// unauthorized; 405 method_not_allowed (with Allow); 413 upload_too_large,
// request_too_large; 415 unsupported_content_type; 500 internal_error.
//
// # CORS
//
// API Gateway can answer CORS itself, and should in production; when a
// preflight or a request with Origin reaches the function anyway, origins in
// CORS_ORIGINS (or any, with "*") get the CORS headers and others get none.
package uploadurl
