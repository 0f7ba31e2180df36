/*
 * arrears_plugin.h: the C ABI of Arrears plugins (ABI 1.1).
 *
 * Kept identical to crates/arrears-plugin-sdk/src/abi.rs; a test compiles C code against
 * this header and compares every size and field offset with the Rust definitions.
 *
 * A plugin exports one function, arrears_plugin_entry_v1, returning a descriptor that lives
 * as long as the library. Ownership: every pointer the host passes is borrowed for the call
 * (the host table: for the instance's life); outputs go into host-owned, zeroed buffers;
 * nothing is freed across the boundary. Threading: calls on one instance may run
 * concurrently only if the plugin declares ARREARS_CAPABILITY_THREAD_SAFE. Failure: every
 * call returns a status (0 = OK) and writes a message into the caller's error buffer.
 * See docs/PLUGIN_ABI.md.
 */
#ifndef ARREARS_PLUGIN_H
#define ARREARS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "ARREARS1" as a little-endian 64-bit integer. */
#define ARREARS_MAGIC 0x3153524145525241ULL
#define ARREARS_ABI_VERSION_MAJOR 1u
#define ARREARS_ABI_VERSION_MINOR 2u
#define ARREARS_ENTRY_SYMBOL_NAME "arrears_plugin_entry_v1"

#define ARREARS_CAPABILITY_SCORER (1u << 0)
#define ARREARS_CAPABILITY_CONTACT_STRATEGY (1u << 1)
#define ARREARS_CAPABILITY_THREAD_SAFE (1u << 2)
#define ARREARS_CAPABILITY_DETERMINISTIC (1u << 3)

#define ARREARS_BATCH_LEN_MAX 4096u
#define ARREARS_PROPOSALS_PER_REQUEST_MAX 4u
#define ARREARS_REASONS_MAX 4u
#define ARREARS_REASON_CODE_BYTES_MAX 60u
#define ARREARS_TEMPLATE_BYTES_MAX 48u
#define ARREARS_STRING_BYTES_MAX 4096u
#define ARREARS_ATTRIBUTES_MAX 1024u
#define ARREARS_ERROR_MESSAGE_BYTES_MAX 1024u
#define ARREARS_SCORE_POINTS_MIN 0.0
#define ARREARS_SCORE_POINTS_MAX 1000.0

#define ARREARS_CHANNEL_PHONE 0u
#define ARREARS_CHANNEL_SMS 1u
#define ARREARS_CHANNEL_EMAIL 2u
#define ARREARS_CHANNEL_POSTAL 3u
#define ARREARS_CHANNEL_MESSAGING 4u
#define ARREARS_CHANNEL_COUNT 5u

/* Tones (ABI 1.2): a step's template tone; the tone a proposal chose (0 keeps its template). */
#define ARREARS_TONE_NONE 0u
#define ARREARS_TONE_FRIENDLY 1u
#define ARREARS_TONE_FIRM 2u
#define ARREARS_TONE_FINAL_NOTICE 3u
#define ARREARS_TONE_PLAN_OFFER 4u
#define ARREARS_TONE_SETTLEMENT_OFFER 5u
#define ARREARS_TONE_COUNT 6u

#define ARREARS_CONTACT_POINT_PERSONAL 0u
#define ARREARS_CONTACT_POINT_WORK 1u
#define ARREARS_CONTACT_POINT_EMPLOYER_PROVIDED 2u

#define ARREARS_ATTRIBUTE_MISSING 0u
#define ARREARS_ATTRIBUTE_NUMBER 1u
#define ARREARS_ATTRIBUTE_TEXT 2u

#define ARREARS_LOG_ERROR 1u
#define ARREARS_LOG_WARN 2u
#define ARREARS_LOG_INFO 3u
#define ARREARS_LOG_DEBUG 4u

/* Status codes: stable, never renumbered or reused; new codes are appended. */
typedef uint32_t arrears_status_t;
#define ARREARS_STATUS_OK 0u
#define ARREARS_STATUS_INVALID_ARGUMENT 1u
#define ARREARS_STATUS_INVALID_CONFIG 2u
#define ARREARS_STATUS_BAD_INPUT 3u
#define ARREARS_STATUS_UNSUPPORTED 4u
#define ARREARS_STATUS_PANICKED 5u
#define ARREARS_STATUS_POISONED 6u
#define ARREARS_STATUS_BUFFER_TOO_SMALL 7u
#define ARREARS_STATUS_INTERNAL 8u

/* A borrowed UTF-8 string, no terminator. */
typedef struct arrears_str {
  const uint8_t *ptr;
  size_t len_bytes;
} arrears_str_t;

/* A caller-owned buffer for an error message: write at most capacity_bytes, set len_bytes. */
typedef struct arrears_error_buffer {
  uint8_t *ptr;
  size_t capacity_bytes;
  size_t len_bytes;
} arrears_error_buffer_t;

typedef void (*arrears_log_fn)(uint32_t level, arrears_str_t message);

/* Host services, valid for the instance's life. Read a field only if struct_size covers it. */
typedef struct arrears_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved;
  arrears_log_fn log; /* may be NULL */
} arrears_host_api_t;

typedef struct arrears_attribute {
  arrears_str_t name;
  uint32_t kind; /* ARREARS_ATTRIBUTE_* */
  uint32_t reserved;
  double number;
  arrears_str_t text;
} arrears_attribute_t;

/* One account to score: money in minor units, dates in days since 1970-01-01. */
typedef struct arrears_score_input {
  uint64_t account_id;
  uint64_t debtor_id;
  int64_t days_past_due;
  int64_t total_outstanding_minor;
  int64_t past_due_minor;
  int64_t credit_limit_minor;
  int64_t paid_90d_minor;
  int64_t months_on_book;
  int32_t as_of_days;   /* the scoring date: the review date in a cycle (docs: "Inputs") */
  uint8_t currency[3];  /* the account's ISO 4217 code; "XXX" for a row that is not an account */
  uint8_t has_credit_limit;
  uint32_t payments_90d;
  uint32_t reversals_90d;
  uint32_t broken_promises;
  uint32_t kept_promises;
  uint32_t attempts_30d;
  uint32_t right_party_contacts_30d;
  const arrears_attribute_t *attributes;
  size_t attribute_count;
} arrears_score_input_t;

typedef struct arrears_reason_code {
  uint32_t len_bytes;
  uint8_t bytes[60];
} arrears_reason_code_t;

typedef struct arrears_score_output {
  double points; /* finite, 0 to 1000 */
  uint32_t reason_count; /* at most ARREARS_REASONS_MAX */
  uint32_t reserved;
  arrears_reason_code_t reasons[4];
} arrears_score_output_t;

typedef struct arrears_contact_point_input {
  arrears_str_t address;
  uint32_t channel;
  uint32_t kind;
  uint8_t consent;
  uint8_t opted_out;
  uint8_t reserved[6];
} arrears_contact_point_input_t;

typedef struct arrears_contact_step_input {
  arrears_str_t template_id;
  uint32_t channel;
  uint32_t tone; /* ARREARS_TONE_*; "reserved" (zero) before ABI 1.2 */
} arrears_contact_step_input_t;

typedef struct arrears_contact_history_entry {
  int64_t at_unix_us;
  uint32_t channel;
  uint8_t right_party;
  uint8_t inbound;
  uint8_t reserved[2];
} arrears_contact_history_entry_t;

typedef struct arrears_contact_request_input {
  uint64_t debtor_id;
  int32_t as_of_days;
  int32_t utc_offset_minutes;
  double score_points;
  uint32_t has_score;
  uint32_t reserved;
  const arrears_contact_step_input_t *steps;
  size_t step_count;
  const arrears_contact_point_input_t *contact_points;
  size_t contact_point_count;
  const arrears_contact_history_entry_t *history;
  size_t history_count;
} arrears_contact_request_input_t;

typedef struct arrears_contact_proposal_output {
  int64_t at_unix_us; /* 00:00 UTC the day before the review date to 00:00 UTC 31 days after */
  uint32_t request_index;
  uint32_t channel;
  uint32_t contact_point_index;
  uint32_t template_len_bytes;
  uint8_t template_id[48];
  uint32_t tone; /* ABI 1.2: ARREARS_TONE_*, 0 keeps template_id */
  uint32_t reserved;
} arrears_contact_proposal_output_t;

/* The output size of ABI 1.0 and 1.1 (before tone). */
#define ARREARS_PROPOSAL_OUTPUT_SIZE_V1_1 72u

typedef arrears_status_t (*arrears_init_fn)(const arrears_host_api_t *host, arrears_str_t config,
                                            void **instance_out,
                                            arrears_error_buffer_t *error);
typedef void (*arrears_destroy_fn)(void *instance);
typedef arrears_status_t (*arrears_score_batch_fn)(
    void *instance, const arrears_score_input_t *inputs, size_t input_stride_bytes,
    size_t input_count, arrears_score_output_t *outputs, size_t output_stride_bytes,
    size_t *output_count_out, arrears_error_buffer_t *error);
typedef arrears_status_t (*arrears_propose_contacts_batch_fn)(
    void *instance, const arrears_contact_request_input_t *requests,
    size_t request_stride_bytes, size_t request_count,
    arrears_contact_proposal_output_t *outputs, size_t output_stride_bytes,
    size_t output_capacity, size_t *output_count_out, arrears_error_buffer_t *error);
typedef arrears_status_t (*arrears_reason_codes_fn)(void *instance, arrears_str_t *codes_out,
                                                    size_t capacity, size_t *count_out);

/* Fields are appended only; struct_size says how many bytes the plugin wrote. */
typedef struct arrears_plugin_descriptor {
  uint64_t magic;
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t capabilities;
  arrears_str_t name;
  arrears_str_t version;
  arrears_str_t build_fingerprint;
  /* ABI 1.0 */
  arrears_init_fn init;
  arrears_destroy_fn destroy;
  arrears_score_batch_fn score_batch;
  arrears_propose_contacts_batch_fn propose_contacts_batch;
  /* ABI 1.1 */
  arrears_reason_codes_fn reason_codes;
} arrears_plugin_descriptor_t;

#define ARREARS_DESCRIPTOR_SIZE_V1_0 104u

typedef const arrears_plugin_descriptor_t *(*arrears_entry_fn)(void);

/* The one exported symbol of a plugin library. */
const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* ARREARS_PLUGIN_H */
