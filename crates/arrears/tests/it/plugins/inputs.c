/*
 * A scorer and contact strategy that show what the host passed them (issue 15 point 5).
 *
 * score_batch: 500 points with two reason codes, "d<as_of_days>" and "c<currency>", so a test
 * reads the scoring date and the currency each input carried, and with attributes a third,
 * "k" and each attribute's kind (0 missing, 1 number, 2 text), in order.
 * propose_contacts_batch: per request, the first step on the first contact point of the step's
 * channel, at the start of the review date (00:00 UTC) plus the configuration's offset in
 * microseconds (a signed decimal; empty means 15 hours), for the proposal-window boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrears_plugin.h"

typedef struct {
  int64_t offset_us;
} inputs_t;

static arrears_status_t i_init(const arrears_host_api_t *host, arrears_str_t config,
                               void **instance_out, arrears_error_buffer_t *error) {
  (void)host;
  (void)error;
  char text[32] = {0};
  if (config.len_bytes >= sizeof text) return ARREARS_STATUS_INVALID_CONFIG;
  if (config.len_bytes > 0) memcpy(text, config.ptr, config.len_bytes);
  inputs_t *instance = malloc(sizeof *instance);
  if (!instance) return ARREARS_STATUS_INTERNAL;
  instance->offset_us = config.len_bytes > 0 ? strtoll(text, NULL, 10) : 15LL * 3600 * 1000000;
  *instance_out = instance;
  return ARREARS_STATUS_OK;
}

static void i_destroy(void *instance) { free(instance); }

static void put_reason(arrears_score_output_t *output, const char *code) {
  arrears_reason_code_t *reason = &output->reasons[output->reason_count++];
  reason->len_bytes = (uint32_t)strlen(code);
  memcpy(reason->bytes, code, reason->len_bytes);
}

static arrears_status_t i_score(void *instance, const arrears_score_input_t *inputs,
                                size_t input_stride_bytes, size_t input_count,
                                arrears_score_output_t *outputs, size_t output_stride_bytes,
                                size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)instance;
  (void)error;
  for (size_t i = 0; i < input_count; i++) {
    const arrears_score_input_t *input =
        (const arrears_score_input_t *)((const char *)inputs + i * input_stride_bytes);
    arrears_score_output_t *output =
        (arrears_score_output_t *)((char *)outputs + i * output_stride_bytes);
    char code[32];
    output->points = 500.0;
    snprintf(code, sizeof code, "d%d", (int)input->as_of_days);
    put_reason(output, code);
    snprintf(code, sizeof code, "c%.3s", (const char *)input->currency);
    put_reason(output, code);
    if (input->attribute_count > 0) {
      size_t len = 0;
      code[len++] = 'k';
      for (size_t a = 0; a < input->attribute_count && len + 1 < sizeof code; a++)
        code[len++] = (char)('0' + input->attributes[a].kind % 10);
      code[len] = 0;
      put_reason(output, code);
    }
  }
  *output_count_out = input_count;
  return ARREARS_STATUS_OK;
}

static arrears_status_t i_propose(void *instance, const arrears_contact_request_input_t *requests,
                                  size_t request_stride_bytes, size_t request_count,
                                  arrears_contact_proposal_output_t *outputs,
                                  size_t output_stride_bytes, size_t output_capacity,
                                  size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)error;
  const inputs_t *self = instance;
  size_t written = 0;
  for (size_t i = 0; i < request_count && written < output_capacity; i++) {
    const arrears_contact_request_input_t *request =
        (const arrears_contact_request_input_t *)((const char *)requests +
                                                  i * request_stride_bytes);
    if (request->step_count == 0) continue;
    const arrears_contact_step_input_t *step = &request->steps[0];
    if (step->template_id.len_bytes > ARREARS_TEMPLATE_BYTES_MAX) continue;
    for (size_t p = 0; p < request->contact_point_count; p++) {
      if (request->contact_points[p].channel != step->channel) continue;
      arrears_contact_proposal_output_t *output =
          (arrears_contact_proposal_output_t *)((char *)outputs + written * output_stride_bytes);
      output->request_index = (uint32_t)i;
      output->contact_point_index = (uint32_t)p;
      output->channel = step->channel;
      output->at_unix_us = (int64_t)request->as_of_days * 86400 * 1000000 + self->offset_us;
      output->template_len_bytes = (uint32_t)step->template_id.len_bytes;
      memcpy(output->template_id, step->template_id.ptr, step->template_id.len_bytes);
      written += 1;
      break;
    }
  }
  *output_count_out = written;
  return ARREARS_STATUS_OK;
}

static const char NAME[] = "inputs";
static const char VERSION[] = "0.0.1";

static const arrears_plugin_descriptor_t DESCRIPTOR = {
    .magic = ARREARS_MAGIC,
    .struct_size = sizeof(arrears_plugin_descriptor_t),
    .abi_major = ARREARS_ABI_VERSION_MAJOR,
    .abi_minor = ARREARS_ABI_VERSION_MINOR,
    .capabilities = ARREARS_CAPABILITY_SCORER | ARREARS_CAPABILITY_CONTACT_STRATEGY,
    .name = {(const uint8_t *)NAME, sizeof NAME - 1},
    .version = {(const uint8_t *)VERSION, sizeof VERSION - 1},
    .build_fingerprint = {(const uint8_t *)NAME, sizeof NAME - 1},
    .init = i_init,
    .destroy = i_destroy,
    .score_batch = i_score,
    .propose_contacts_batch = i_propose,
};

const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) { return &DESCRIPTOR; }
