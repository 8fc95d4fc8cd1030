//! The spec: the service model (embedded from `fixtures/spec`), the protocol facts of PROTOCOL.md,
//! input validation against the model's constraints, the JSON Schema generator, and the
//! normative statements of the spec files (`statements`, held to the files by `mapping`).
//!
//! This module owns the spec's facts. The schema generator, the reference server, the case
//! generator and the checks read them from here so that they cannot drift apart.

pub mod facts;
pub mod mapping;
pub mod model;
pub mod op;
pub mod schema;
pub mod statements;
pub mod units;
pub mod validate;

pub use model::{model, Member, Model, Operation, PatternMatcher, Shape, ShapeKind, StringConstraints};
pub use op::Op;
pub use validate::{validate_input, validate_input_with, InputError, Strictness, UnknownMembers, Violation};
