//! The pure core: everything decided from the input and the configuration alone, with no I/O.
//! An alert's way through it: [`payload`] reads the invocation (SQS and SNS envelopes,
//! CloudWatch Logs, Security Hub), [`document`] reads names from a JSON document the one
//! strict way, [`alert`] finds the names, [`action`] what the alert asks, [`identity`] parses
//! them, [`threat`] tells a threat-protection log's takeovers from the sign-ins it only
//! records, [`decision`] admits the record and later judges a call's result, [`already`]
//! settles an alert whose user was already signed out, [`plan`] lays out a batch's calls and
//! groups under the [`settings`] the configuration read, [`revocation`] builds the cutoff and
//! the signed-out event that follow a sign-out, [`letter`] builds the dead-letter message,
//! [`outcome`] records how each alert ended and [`response`] turns the report into the
//! invocation's answer. [`failure`], [`error_class`] and [`call_error`] are the vocabulary of
//! what went wrong (a failed remote call as plain data); [`text`] makes values someone else
//! chose safe and bounded; [`timeouts`] is the deadline arithmetic.

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
