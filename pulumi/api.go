package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// uploadRoute is the one route of the HTTP API.
const uploadRoute = "POST /uploads"

// accessLogFormat is the stage's JSON access log line: who called what and
// how it ended, never a token.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","routeKey":"$context.routeKey",` +
	`"status":"$context.status","responseLength":"$context.responseLength",` +
	`"userId":"$context.authorizer.claims.sub",` +
	`"authorizerError":"$context.authorizer.error",` +
	`"integrationError":"$context.integrationErrorMessage"}`

// httpAPI is the sign-in and the upload API in front of the uploadurl Lambda.
type httpAPI struct {
	userPool   *cognito.UserPool
	client     *cognito.UserPoolClient
	api        *apigatewayv2.Api
	authorizer *apigatewayv2.Authorizer
	route      *apigatewayv2.Route
	stage      *apigatewayv2.Stage
	logGroup   *cloudwatch.LogGroup
	permission *lambda.Permission
}

// newHTTPAPI creates the Cognito user pool and the HTTP API whose upload route
// requires its JWTs.
func newHTTPAPI(ctx *pulumi.Context, cfg settings, prefix, region string,
	uploadURL *function) (*httpAPI, error) {
	a := &httpAPI{}
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

	// The HTTP API answers CORS preflights itself for the configured origins.
	a.api, err = apigatewayv2.NewApi(ctx, "api", &apigatewayv2.ApiArgs{
		Name:         pulumi.String(prefix + "-api"),
		ProtocolType: pulumi.String("HTTP"),
		CorsConfiguration: &apigatewayv2.ApiCorsConfigurationArgs{
			AllowOrigins: pulumi.ToStringArray(cfg.corsOrigins),
			AllowMethods: pulumi.ToStringArray([]string{"POST"}),
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

	// Payload format 2.0 hands the JWT claims to the Lambda.
	integration, err := apigatewayv2.NewIntegration(ctx, "uploadurl",
		&apigatewayv2.IntegrationArgs{
			ApiId:                a.api.ID(),
			IntegrationType:      pulumi.String("AWS_PROXY"),
			IntegrationUri:       uploadURL.fn.InvokeArn,
			PayloadFormatVersion: pulumi.String("2.0"),
		})
	if err != nil {
		return nil, err
	}

	// The only route, and it requires a signed-in user.
	a.route, err = apigatewayv2.NewRoute(ctx, "uploads", &apigatewayv2.RouteArgs{
		ApiId:             a.api.ID(),
		RouteKey:          pulumi.String(uploadRoute),
		Target:            pulumi.Sprintf("integrations/%s", integration.ID()),
		AuthorizationType: pulumi.String("JWT"),
		AuthorizerId:      a.authorizer.ID(),
	})
	if err != nil {
		return nil, err
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
	}, pulumi.DependsOn([]pulumi.Resource{a.route}))
	if err != nil {
		return nil, err
	}

	a.permission, err = allowInvoke(ctx, "uploadurl-api", uploadURL, "apigateway.amazonaws.com",
		pulumi.Sprintf("%s/*/POST/uploads", a.api.ExecutionArn))
	if err != nil {
		return nil, err
	}
	return a, nil
}
