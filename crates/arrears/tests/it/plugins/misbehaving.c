/*
 * A plugin that misbehaves in one way, chosen at compile time with -DMODE_<NAME>, for the
 * host's failure tests. Without a mode it is a well-behaved scorer and contact strategy
 * built against ABI 1.0 (MODE_OLD_MINOR exercises exactly that: a 104-byte descriptor; like
 * every mode but MODE_TONE and MODE_BAD_TONE, it writes the 72 bytes of a proposal of ABI 1.0 and
 * 1.1 and leaves the tone of 1.2 as the host zeroed it).
 * MODE_NO_FUNCTIONS claims both capabilities without either function; MODE_REASONS_TOO_MANY
 * declares one more reason code than the host has room for; MODE_REASONS_ODD declares "late"
 * twice and an empty code; MODE_MOVING returns another descriptor on each call of the entry.
 * MODE_NULL_DESTROY has no destroy; MODE_NAME_ESCAPE has a name with a newline, MODE_VERSION_ESCAPE
 * a version with a terminal escape sequence (both would rewrite what `plugin inspect` shows);
 * MODE_REASON_CONTROL returns a reason code of control characters.
 */
#include <math.h>
#include <string.h>

#include "arrears_plugin.h"

#if defined(MODE_NAME_ESCAPE)
static const char NAME[] = "misbehaving\nsha256:       0000";
#else
static const char NAME[] = "misbehaving";
#endif
#if defined(MODE_VERSION_ESCAPE)
static const char VERSION[] = "0.0.1\x1b[1A\x1b[2K";
#else
static const char VERSION[] = "0.0.1";
#endif
static int INSTANCE;

static arrears_status_t m_init(const arrears_host_api_t *host, arrears_str_t config,
                               void **instance_out, arrears_error_buffer_t *error) {
  (void)host;
  (void)config;
  (void)error;
  *instance_out = &INSTANCE;
  return ARREARS_STATUS_OK;
}

__attribute__((unused)) static void m_destroy(void *instance) { (void)instance; }

__attribute__((unused)) static arrears_status_t m_score(void *instance, const arrears_score_input_t *inputs,
                                size_t input_stride_bytes, size_t input_count,
                                arrears_score_output_t *outputs, size_t output_stride_bytes,
                                size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)instance;
  (void)inputs;
  (void)input_stride_bytes;
  (void)error;
  for (size_t i = 0; i < input_count; i++) {
    arrears_score_output_t *output =
        (arrears_score_output_t *)((char *)outputs + i * output_stride_bytes);
    output->points = 500.0;
#if defined(MODE_NAN)
    output->points = NAN;
#elif defined(MODE_INFINITE)
    output->points = INFINITY;
#elif defined(MODE_OUT_OF_RANGE)
    output->points = 1000.5;
#elif defined(MODE_BAD_REASON)
    output->reason_count = 1;
    output->reasons[0].len_bytes = 3;
    memcpy(output->reasons[0].bytes, "\xff\xfe!", 3);
#elif defined(MODE_REASON_CONTROL)
    output->reason_count = 1;
    output->reasons[0].len_bytes = 5;
    memcpy(output->reasons[0].bytes, "\x1b[2K\0", 5);
#else
    output->reason_count = 1;
    output->reasons[0].len_bytes = 4;
    memcpy(output->reasons[0].bytes, "late", 4);
#endif
  }
  *output_count_out = input_count;
#if defined(MODE_TOO_MANY)
  *output_count_out = input_count + 1;
#endif
  return ARREARS_STATUS_OK;
}

__attribute__((unused)) static arrears_status_t m_propose(void *instance, const arrears_contact_request_input_t *requests,
                                  size_t request_stride_bytes, size_t request_count,
                                  arrears_contact_proposal_output_t *outputs,
                                  size_t output_stride_bytes, size_t output_capacity,
                                  size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)instance;
  (void)error;
  size_t written = 0;
  for (size_t i = 0; i < request_count && written < output_capacity; i++) {
    const arrears_contact_request_input_t *request =
        (const arrears_contact_request_input_t *)((const char *)requests +
                                                  i * request_stride_bytes);
    if (request->contact_point_count == 0) continue;
    arrears_contact_proposal_output_t *output =
        (arrears_contact_proposal_output_t *)((char *)outputs + written * output_stride_bytes);
    output->request_index = (uint32_t)i;
    output->contact_point_index = 0;
    output->channel = request->contact_points[0].channel;
    output->at_unix_us = ((int64_t)request->as_of_days * 86400 + 15 * 3600) * 1000000;
    output->template_len_bytes = 5;
    memcpy(output->template_id, "hello", 5);
#if defined(MODE_BAD_CHANNEL)
    output->channel = 9;
#elif defined(MODE_BAD_TIME)
    output->at_unix_us = 0;
#elif defined(MODE_TONE)
    /* ABI 1.2: the tone of the request's first step (the host passes it). */
    output->tone = request->step_count > 0 ? request->steps[0].tone : ARREARS_TONE_NONE;
#elif defined(MODE_BAD_TONE)
    output->tone = ARREARS_TONE_COUNT;
#endif
    written += 1;
  }
  *output_count_out = written;
#if defined(MODE_TOO_MANY)
  *output_count_out = output_capacity + 1;
#endif
  return ARREARS_STATUS_OK;
}

__attribute__((unused)) static arrears_status_t m_reason_codes(void *instance, arrears_str_t *codes_out, size_t capacity,
                                       size_t *count_out) {
  (void)instance;
  *count_out = 1;
  if (capacity > 0) {
    codes_out[0].ptr = (const uint8_t *)"early";
    codes_out[0].len_bytes = 5;
  }
  return ARREARS_STATUS_OK;
}

/* MODE_REASONS_TOO_MANY and MODE_REASONS_ODD. */
__attribute__((unused)) static arrears_status_t m_odd_reason_codes(void *instance,
                                                                   arrears_str_t *codes_out,
                                                                   size_t capacity,
                                                                   size_t *count_out) {
  (void)instance;
#if defined(MODE_REASONS_TOO_MANY)
  for (size_t i = 0; i < capacity; i++) {
    codes_out[i].ptr = (const uint8_t *)"late";
    codes_out[i].len_bytes = 4;
  }
  *count_out = capacity + 1;
#else
  static const char *const codes[] = {"late", "late", ""};
  for (size_t i = 0; i < 3 && i < capacity; i++) {
    codes_out[i].ptr = (const uint8_t *)codes[i];
    codes_out[i].len_bytes = strlen(codes[i]);
  }
  *count_out = 3;
#endif
  return ARREARS_STATUS_OK;
}

/* Lies past struct_size in MODE_SIZE_BETWEEN: a host that reads the whole entry fails here. */
__attribute__((unused)) static arrears_status_t m_never_called(void *instance,
                                                               arrears_str_t *codes_out,
                                                               size_t capacity, size_t *count_out) {
  (void)instance;
  (void)codes_out;
  (void)capacity;
  *count_out = 0;
  return ARREARS_STATUS_INTERNAL;
}

static const arrears_plugin_descriptor_t DESCRIPTOR = {
#if defined(MODE_BAD_MAGIC)
    .magic = 0x1234,
#else
    .magic = ARREARS_MAGIC,
#endif
#if defined(MODE_OLD_MINOR)
    .struct_size = ARREARS_DESCRIPTOR_SIZE_V1_0,
    .abi_minor = 0,
#elif defined(MODE_TOO_SMALL)
    .struct_size = 64,
    .abi_minor = 0,
#elif defined(MODE_SIZE_BETWEEN)
    /* Between ABI 1.0's size (104) and 1.1's (112): it ends inside reason_codes. */
    .struct_size = ARREARS_DESCRIPTOR_SIZE_V1_0 + 4,
    .abi_minor = 1,
#else
    .struct_size = sizeof(arrears_plugin_descriptor_t),
    .abi_minor = ARREARS_ABI_VERSION_MINOR,
#endif
#if defined(MODE_MAJOR_2)
    .abi_major = 2,
#else
    .abi_major = ARREARS_ABI_VERSION_MAJOR,
#endif
    .capabilities = ARREARS_CAPABILITY_SCORER | ARREARS_CAPABILITY_CONTACT_STRATEGY,
    .name = {(const uint8_t *)NAME, sizeof NAME - 1},
    .version = {(const uint8_t *)VERSION, sizeof VERSION - 1},
    .build_fingerprint = {(const uint8_t *)NAME, sizeof NAME - 1},
    .init = m_init,
#if defined(MODE_NULL_DESTROY)
    .destroy = NULL,
#else
    .destroy = m_destroy,
#endif
#if defined(MODE_NO_FUNCTIONS)
    .score_batch = NULL,
    .propose_contacts_batch = NULL,
#else
    .score_batch = m_score,
    .propose_contacts_batch = m_propose,
#endif
#if defined(MODE_OLD_MINOR)
    /* Past struct_size: a host that read it would call address 1 and crash. */
    .reason_codes = (arrears_reason_codes_fn)1,
#elif defined(MODE_SIZE_BETWEEN)
    /* Half of this pointer is inside struct_size: a host that copied those four bytes would
       call half a pointer and crash; one that read all eight would fail to initialize. */
    .reason_codes = m_never_called,
#elif defined(MODE_UNDECLARED)
    .reason_codes = m_reason_codes,
#elif defined(MODE_REASONS_TOO_MANY) || defined(MODE_REASONS_ODD)
    .reason_codes = m_odd_reason_codes,
#else
    .reason_codes = NULL,
#endif
};

#if defined(MODE_NO_ENTRY)
const arrears_plugin_descriptor_t *some_other_name(void) { return &DESCRIPTOR; }
#elif defined(MODE_MOVING)
/* Another copy of the descriptor on each call (the ABI says it must be the same pointer). */
const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) {
  static arrears_plugin_descriptor_t copies[2];
  static int calls;
  arrears_plugin_descriptor_t *copy = &copies[calls++ % 2];
  *copy = DESCRIPTOR;
  return copy;
}
#else
const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) { return &DESCRIPTOR; }
#endif
