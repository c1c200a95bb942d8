//! The pure core: everything decided from the input and the configuration alone, with no I/O.
//! An alert's way through it: [`payload`] reads the invocation, [`alert`] finds the names,
//! [`identity`] parses them, [`decision`] admits the record and later judges a call's result,
//! [`plan`] lays out a batch's calls and groups, [`letter`] builds the dead-letter message,
//! [`outcome`] records how each alert ended. [`failure`], [`error_class`] and
//! [`sign_out_error`] are the vocabulary of what went wrong; [`timeouts`] is the deadline
//! arithmetic; [`threat`] is the rule that tells a threat-protection log's alerts from the
//! sign-ins it only records.

pub mod action;
pub mod alert;
pub mod already;
pub mod call_error;
pub mod decision;
pub mod document;
pub mod error_class;
pub mod failure;
pub mod identity;
pub mod letter;
pub mod outcome;
pub mod payload;
pub mod plan;
pub mod response;
pub mod revocation;
pub mod settings;

pub mod text;
pub mod threat;
pub mod timeouts;
