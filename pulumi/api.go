package main

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Route keys of the HTTP API; every route requires a signed-in user.
const (
	uploadRoute     = "POST /uploads"
	listImagesRoute = "GET /images"
	getImageRoute   = "GET /images/{imageId}"
)

// apiRoute is one route of the HTTP API and the Lambda behind it.
type apiRoute struct {
	// name is the logical name of the route; permission that of the Lambda
	// permission letting API Gateway invoke fn for it.
	name, permission string
	key              string
	fn               *function
}

// apiRoutes lists every route, the upload route first.
func apiRoutes(fns functions) []apiRoute {
	return []apiRoute{
		{name: "uploads", permission: "uploadurl-api", key: uploadRoute, fn: fns.uploadURL},
		{name: "images-list", permission: "images-list-api", key: listImagesRoute,
			fn: fns.images},
		{name: "images-get", permission: "images-get-api", key: getImageRoute,
			fn: fns.images},
	}
}

// pathParameter is a {name} segment of a route key.
var pathParameter = regexp.MustCompile(`\{[^}/]+\}`)

// sourcePath is what follows the API's execution ARN in the source ARN API
// Gateway invokes a route's Lambda with: any stage, the method, and the path,
// each path parameter matching any one value.
func (r apiRoute) sourcePath() string {
	method, path, _ := strings.Cut(r.key, " ")
	return "/*/" + method + pathParameter.ReplaceAllString(path, "*")
}

// accessLogFormat is the stage's JSON access log line: who called what and
// how it ended, never a token.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey",` +
	`"status":"$context.status","responseLength":"$context.responseLength",` +
	`"userId":"$context.authorizer.claims.sub",` +
	`"authorizerError":"$context.authorizer.error",` +
	`"integrationError":"$context.integrationErrorMessage"}`

// httpAPI is the sign-in and the API in front of the uploadurl and images
// Lambdas.
type httpAPI struct {
	userPool   *cognito.UserPool
	client     *cognito.UserPoolClient
	api        *apigatewayv2.Api
	authorizer *apigatewayv2.Authorizer
	// integrations are by Lambda step; routes and permissions by route name.
	integrations map[string]*apigatewayv2.Integration
	routes       map[string]*apigatewayv2.Route
	permissions  map[string]*lambda.Permission
	stage        *apigatewayv2.Stage
	logGroup     *cloudwatch.LogGroup
}

// newHTTPAPI creates the Cognito user pool and the HTTP API whose routes all
// require its JWTs.
func newHTTPAPI(ctx *pulumi.Context, cfg settings, prefix, region string,
	fns functions) (*httpAPI, error) {
	a := &httpAPI{
		integrations: map[string]*apigatewayv2.Integration{},
		routes:       map[string]*apigatewayv2.Route{},
		permissions:  map[string]*lambda.Permission{},
	}
	var err error

	// Users sign in with their email address; an administrator creates them
	// (see the README), so nobody can sign up to get upload URLs.
	a.userPool, err = cognito.NewUserPool(ctx, "users", &cognito.UserPoolArgs{
		Name:                   pulumi.String(prefix + "-users"),
		UsernameAttributes:     pulumi.ToStringArray([]string{"email"}),
		AutoVerifiedAttributes: pulumi.ToStringArray([]string{"email"}),
		AdminCreateUserConfig: &cognito.UserPoolAdminCreateUserConfigArgs{
			AllowAdminCreateUserOnly: pulumi.Bool(true),
		},
		PasswordPolicy: &cognito.UserPoolPasswordPolicyArgs{
			MinimumLength:                 pulumi.Int(12),
			RequireLowercase:              pulumi.Bool(true),
			RequireUppercase:              pulumi.Bool(true),
			RequireNumbers:                pulumi.Bool(true),
			RequireSymbols:                pulumi.Bool(false),
			TemporaryPasswordValidityDays: pulumi.Int(7),
		},
		AccountRecoverySetting: &cognito.UserPoolAccountRecoverySettingArgs{
			RecoveryMechanisms: cognito.UserPoolAccountRecoverySettingRecoveryMechanismArray{
				&cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs{
					Name:     pulumi.String("verified_email"),
					Priority: pulumi.Int(1),
				},
			},
		},
	})
	if err != nil {
		return nil, err
	}

	// A public client (no secret) for browsers and the AWS CLI: SRP for web
	// pages, USER_PASSWORD_AUTH for `aws cognito-idp initiate-auth`.
	a.client, err = cognito.NewUserPoolClient(ctx, "web", &cognito.UserPoolClientArgs{
		Name:           pulumi.String(prefix + "-web"),
		UserPoolId:     a.userPool.ID(),
		GenerateSecret: pulumi.Bool(false),
		ExplicitAuthFlows: pulumi.ToStringArray([]string{
			"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
		}),
		PreventUserExistenceErrors: pulumi.String("ENABLED"),
		EnableTokenRevocation:      pulumi.Bool(true),
	})
	if err != nil {
		return nil, err
	}

	// The HTTP API answers CORS preflights itself for the configured origins:
	// POST for upload URLs, GET for the image status.
	a.api, err = apigatewayv2.NewApi(ctx, "api", &apigatewayv2.ApiArgs{
		Name:         pulumi.String(prefix + "-api"),
		ProtocolType: pulumi.String("HTTP"),
		CorsConfiguration: &apigatewayv2.ApiCorsConfigurationArgs{
			AllowOrigins: pulumi.ToStringArray(cfg.corsOrigins),
			AllowMethods: pulumi.ToStringArray([]string{"GET", "POST"}),
			AllowHeaders: pulumi.ToStringArray([]string{"authorization", "content-type"}),
			MaxAge:       pulumi.Int(3600),
		},
	})
	if err != nil {
		return nil, err
	}

	// API Gateway checks the Cognito token's signature, issuer, audience and
	// expiry before the Lambda runs.
	a.authorizer, err = apigatewayv2.NewAuthorizer(ctx, "cognito", &apigatewayv2.AuthorizerArgs{
		ApiId:           a.api.ID(),
		Name:            pulumi.String("cognito"),
		AuthorizerType:  pulumi.String("JWT"),
		IdentitySources: pulumi.ToStringArray([]string{"$request.header.Authorization"}),
		JwtConfiguration: &apigatewayv2.AuthorizerJwtConfigurationArgs{
			Issuer: pulumi.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", region,
				a.userPool.ID()),
			Audiences: pulumi.StringArray{a.client.ID()},
		},
	})
	if err != nil {
		return nil, err
	}

	var routes []pulumi.Resource
	for _, r := range apiRoutes(fns) {
		integration := a.integrations[r.fn.step]
		if integration == nil {
			// One per Lambda, shared by its routes; payload format 2.0
			// hands the JWT claims to the Lambda.
			integration, err = apigatewayv2.NewIntegration(ctx, r.fn.step,
				&apigatewayv2.IntegrationArgs{
					ApiId:                a.api.ID(),
					IntegrationType:      pulumi.String("AWS_PROXY"),
					IntegrationUri:       r.fn.fn.InvokeArn,
					PayloadFormatVersion: pulumi.String("2.0"),
				})
			if err != nil {
				return nil, err
			}
			a.integrations[r.fn.step] = integration
		}

		// Every route requires a signed-in user: the Lambdas trust the
		// token's sub as the caller.
		route, err := apigatewayv2.NewRoute(ctx, r.name, &apigatewayv2.RouteArgs{
			ApiId:             a.api.ID(),
			RouteKey:          pulumi.String(r.key),
			Target:            pulumi.Sprintf("integrations/%s", integration.ID()),
			AuthorizationType: pulumi.String("JWT"),
			AuthorizerId:      a.authorizer.ID(),
		})
		if err != nil {
			return nil, err
		}
		a.routes[r.name] = route
		routes = append(routes, route)

		// API Gateway may invoke the Lambda for this route's method and path
		// only.
		a.permissions[r.name], err = allowInvoke(ctx, r.permission, r.fn,
			"apigateway.amazonaws.com", pulumi.Sprintf("%s%s", a.api.ExecutionArn,
				r.sourcePath()))
		if err != nil {
			return nil, err
		}
	}

	// Access logs of the stage, kept as long as the Lambdas' logs.
	a.logGroup, err = cloudwatch.NewLogGroup(ctx, "api-access", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/apigateway/" + prefix + "-api"),
		RetentionInDays: pulumi.Int(cfg.logRetentionDays),
	})
	if err != nil {
		return nil, err
	}

	// $default with auto-deploy: the API URL has no stage path, and every
	// change is live on `pulumi up`; throttled so one client cannot run up
	// the bill.
	a.stage, err = apigatewayv2.NewStage(ctx, "default", &apigatewayv2.StageArgs{
		ApiId:      a.api.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: a.logGroup.Arn,
			Format:         pulumi.String(accessLogFormat),
		},
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			ThrottlingRateLimit:  pulumi.Float64(cfg.apiRateLimit),
			ThrottlingBurstLimit: pulumi.Int(cfg.apiBurstLimit),
		},
	}, pulumi.DependsOn(routes))
	if err != nil {
		return nil, err
	}
	return a, nil
}
