/*
 * c_scorer: an Arrears scoring plugin written in C against include/arrears_plugin.h.
 *
 * Score = base - 2 * days_past_due - 50 * broken_promises + 10 * payments_90d, clamped to
 * 0..1000. Each of the three is the number in the attribute of that name if the input has one
 * (a CSV column of `arrears score`), else the engine's feature (an account in a cycle).
 * The configuration text is the base points as a decimal integer (default 600).
 * Reason codes (declared through reason_codes, ABI 1.1): days_past_due, broken_promises.
 *
 * Build: cc -shared -fPIC -I crates/arrears-plugin-sdk/include -o libc_scorer.so c_scorer.c
 */
#include <stdlib.h>
#include <string.h>

#include "arrears_plugin.h"

typedef struct c_scorer {
  double base_points;
} c_scorer_t;

static const char NAME[] = "c-scorer";
static const char VERSION[] = "1.0.0";
static const char FINGERPRINT[] = "c_scorer.c abi 1.2";
static const char REASON_DPD[] = "days_past_due";
static const char REASON_BROKEN[] = "broken_promises";

static void write_error(arrears_error_buffer_t *error, const char *message) {
  size_t len = strlen(message);
  if (error == NULL || error->ptr == NULL) return;
  if (len > error->capacity_bytes) len = error->capacity_bytes;
  memcpy(error->ptr, message, len);
  error->len_bytes = len;
}

static arrears_status_t scorer_init(const arrears_host_api_t *host, arrears_str_t config,
                                    void **instance_out, arrears_error_buffer_t *error) {
  (void)host;
  double base = 600.0;
  if (config.len_bytes > 0) {
    char text[32];
    char *end = NULL;
    if (config.len_bytes >= sizeof text) {
      write_error(error, "config must be the base points");
      return ARREARS_STATUS_INVALID_CONFIG;
    }
    memcpy(text, config.ptr, config.len_bytes);
    text[config.len_bytes] = '\0';
    base = strtod(text, &end);
    if (end == text || base < 0.0 || base > 1000.0) {
      write_error(error, "config must be the base points, 0 to 1000");
      return ARREARS_STATUS_INVALID_CONFIG;
    }
  }
  c_scorer_t *scorer = malloc(sizeof *scorer);
  if (scorer == NULL) {
    write_error(error, "out of memory");
    return ARREARS_STATUS_INTERNAL;
  }
  scorer->base_points = base;
  *instance_out = scorer;
  return ARREARS_STATUS_OK;
}

static void scorer_destroy(void *instance) { free(instance); }

static void set_reason(arrears_score_output_t *output, const char *code) {
  arrears_reason_code_t *reason = &output->reasons[output->reason_count];
  reason->len_bytes = (uint32_t)strlen(code);
  memcpy(reason->bytes, code, reason->len_bytes);
  output->reason_count += 1;
}

/* The number in the attribute `name` if the input has one, else `feature`. */
static double value(const arrears_score_input_t *input, const char *name, double feature) {
  size_t len = strlen(name);
  for (size_t a = 0; a < input->attribute_count; a++) {
    const arrears_attribute_t *attribute = &input->attributes[a];
    if (attribute->kind == ARREARS_ATTRIBUTE_NUMBER && attribute->name.len_bytes == len &&
        memcmp(attribute->name.ptr, name, len) == 0)
      return attribute->number;
  }
  return feature;
}

static arrears_status_t scorer_score_batch(void *instance, const arrears_score_input_t *inputs,
                                           size_t input_stride_bytes, size_t input_count,
                                           arrears_score_output_t *outputs,
                                           size_t output_stride_bytes, size_t *output_count_out,
                                           arrears_error_buffer_t *error) {
  const c_scorer_t *scorer = instance;
  *output_count_out = 0;
  if (input_count > ARREARS_BATCH_LEN_MAX) {
    write_error(error, "batch too large");
    return ARREARS_STATUS_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < input_count; i++) {
    const arrears_score_input_t *input =
        (const arrears_score_input_t *)((const char *)inputs + i * input_stride_bytes);
    arrears_score_output_t *output =
        (arrears_score_output_t *)((char *)outputs + i * output_stride_bytes);
    double days = value(input, "days_past_due", (double)input->days_past_due);
    double broken = value(input, "broken_promises", (double)input->broken_promises);
    double payments = value(input, "payments_90d", (double)input->payments_90d);
    double points = scorer->base_points - 2.0 * days - 50.0 * broken + 10.0 * payments;
    if (points < ARREARS_SCORE_POINTS_MIN) points = ARREARS_SCORE_POINTS_MIN;
    if (points > ARREARS_SCORE_POINTS_MAX) points = ARREARS_SCORE_POINTS_MAX;
    output->points = points;
    output->reason_count = 0;
    if (broken > 0) set_reason(output, REASON_BROKEN);
    if (days > 0) set_reason(output, REASON_DPD);
    *output_count_out = i + 1;
  }
  return ARREARS_STATUS_OK;
}

static arrears_status_t scorer_reason_codes(void *instance, arrears_str_t *codes_out,
                                            size_t capacity, size_t *count_out) {
  (void)instance;
  const char *codes[2] = {REASON_DPD, REASON_BROKEN};
  *count_out = 2;
  for (size_t i = 0; i < 2 && i < capacity; i++) {
    codes_out[i].ptr = (const uint8_t *)codes[i];
    codes_out[i].len_bytes = strlen(codes[i]);
  }
  return ARREARS_STATUS_OK;
}

static const arrears_plugin_descriptor_t DESCRIPTOR = {
    .magic = ARREARS_MAGIC,
    .struct_size = sizeof(arrears_plugin_descriptor_t),
    .abi_major = ARREARS_ABI_VERSION_MAJOR,
    .abi_minor = ARREARS_ABI_VERSION_MINOR,
    .capabilities = ARREARS_CAPABILITY_SCORER | ARREARS_CAPABILITY_THREAD_SAFE |
                    ARREARS_CAPABILITY_DETERMINISTIC,
    .name = {(const uint8_t *)NAME, sizeof NAME - 1},
    .version = {(const uint8_t *)VERSION, sizeof VERSION - 1},
    .build_fingerprint = {(const uint8_t *)FINGERPRINT, sizeof FINGERPRINT - 1},
    .init = scorer_init,
    .destroy = scorer_destroy,
    .score_batch = scorer_score_batch,
    .propose_contacts_batch = NULL,
    .reason_codes = scorer_reason_codes,
};

const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) { return &DESCRIPTOR; }
