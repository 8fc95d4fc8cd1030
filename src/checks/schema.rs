//! Response validation against the JSON Schemas generated from the model
//! (`crate::spec::schema`, committed under fixtures/schema): the one call site every check uses.

use serde_json::Value;

/// Validate a success body of `operation` against its response schema. Messages name paths and
/// constraints, never values (tokens stay out of reports).
pub fn validate_response(operation: &str, body: &Value) -> Result<(), Vec<String>> {
    crate::spec::schema::validate_response(operation, body)
}

/// Validate an error body (any error type) against the generic error schema.
pub fn validate_error(body: &Value) -> Result<(), Vec<String>> {
    crate::spec::schema::validate_error(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rotate_response_shapes() {
        assert_eq!(
            validate_response(
                "RotateTunnelAccessToken",
                &json!({"tunnelArn": "arn:x", "sourceAccessToken": "t"})
            ),
            Ok(())
        );
        assert!(validate_response("RotateTunnelAccessToken", &json!({"tunnelArn": ""})).is_err());
        assert!(validate_response("RotateTunnelAccessToken", &json!({"sourceAccessToken": 5})).is_err());
        assert!(validate_response("RotateTunnelAccessToken", &json!([1])).is_err());
    }

    #[test]
    fn describe_timestamps_and_status() {
        let ok = json!({"tunnel": {"status": "OPEN", "createdAt": 1.5, "timeoutConfig": {"maxLifetimeTimeoutMinutes": 720}}});
        assert_eq!(validate_response("DescribeTunnel", &ok), Ok(()));
        let bad_ts = json!({"tunnel": {"status": "OPEN", "createdAt": "2024-01-01T00:00:00Z"}});
        assert!(validate_response("DescribeTunnel", &bad_ts).is_err());
        let bad_status = json!({"tunnel": {"status": "open"}});
        assert!(validate_response("DescribeTunnel", &bad_status).is_err());
    }
}
