//! Integration tests, compiled as one binary: the built `revocation-authorizer` under the
//! Lambda Runtime API emulator, against moto (Cognito tokens and JWKS, the DynamoDB cutoff
//! table), for both API Gateway shapes; and the library's DynamoDB store against moto.

mod architecture;
mod end_to_end;
mod helpers;
mod store;
