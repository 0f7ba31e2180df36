/*
 * A scorer and contact strategy that misbehaves as its configuration says (issue 15, the
 * misbehaviour matrix): "segv" dereferences null, "abort" aborts, "exit" calls exit(0),
 * "loop" never returns, "slow" sleeps 50 ms and answers, "alloc" allocates without bound,
 * "overrun" writes far past the host's output buffer, "garbage" answers NaN scores and
 * proposals on channel 99, "print" writes to standard output and answers. Anything else
 * (the empty configuration) behaves: every score 500, one email at 15:00 per request.
 * The configuration may start with "score:" or "propose:" to misbehave in that call only.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrears_plugin.h"

static const char NAME[] = "hostile";
static const char VERSION[] = "0.0.1";

typedef struct {
  char mode[32];
  int in_score;
  int in_propose;
} hostile_t;

static arrears_status_t h_init(const arrears_host_api_t *host, arrears_str_t config,
                               void **instance_out, arrears_error_buffer_t *error) {
  (void)host;
  (void)error;
  hostile_t *self = calloc(1, sizeof *self);
  if (self == NULL) return ARREARS_STATUS_INTERNAL;
  size_t len = config.len_bytes < sizeof self->mode - 1 ? config.len_bytes : sizeof self->mode - 1;
  memcpy(self->mode, config.ptr, len);
  while (len > 0 && (self->mode[len - 1] == '\n' || self->mode[len - 1] == ' ')) self->mode[--len] = 0;
  self->in_score = 1;
  self->in_propose = 1;
  if (strncmp(self->mode, "score:", 6) == 0) {
    memmove(self->mode, self->mode + 6, strlen(self->mode + 6) + 1);
    self->in_propose = 0;
  } else if (strncmp(self->mode, "propose:", 8) == 0) {
    memmove(self->mode, self->mode + 8, strlen(self->mode + 8) + 1);
    self->in_score = 0;
  }
  *instance_out = self;
  return ARREARS_STATUS_OK;
}

static void h_destroy(void *instance) { free(instance); }

/* The misbehaviours that do not answer (or answer only after a while). */
static void misbehave(const char *mode, void *outputs, size_t output_bytes) {
  if (strcmp(mode, "segv") == 0) {
    volatile int *nothing = NULL;
    *nothing = 1;
  } else if (strcmp(mode, "abort") == 0) {
    abort();
  } else if (strcmp(mode, "exit") == 0) {
    exit(0);
  } else if (strcmp(mode, "loop") == 0) {
    for (volatile unsigned long spin = 0;; spin++) {
    }
  } else if (strcmp(mode, "slow") == 0) {
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
  } else if (strcmp(mode, "alloc") == 0) {
    for (;;) {
      char *block = malloc(64 << 20);
      /* Unchecked, as careless code is: past the limit this writes through null. */
      memset(block, 1, 64 << 20);
    }
  } else if (strcmp(mode, "overrun") == 0) {
    /* Far past the end of the host's buffer, until something unmapped stops it. */
    memset(outputs, 0x41, output_bytes + ((size_t)1 << 32));
  } else if (strcmp(mode, "print") == 0) {
    printf("hello from the plugin\n");
    fflush(stdout);
  }
}

static arrears_status_t h_score(void *instance, const arrears_score_input_t *inputs,
                                size_t input_stride_bytes, size_t input_count,
                                arrears_score_output_t *outputs, size_t output_stride_bytes,
                                size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)inputs;
  (void)input_stride_bytes;
  (void)error;
  hostile_t *self = instance;
  if (self->in_score) misbehave(self->mode, outputs, input_count * output_stride_bytes);
  int garbage = self->in_score && strcmp(self->mode, "garbage") == 0;
  for (size_t i = 0; i < input_count; i++) {
    arrears_score_output_t *output =
        (arrears_score_output_t *)((char *)outputs + i * output_stride_bytes);
    output->points = garbage ? NAN : 500.0;
  }
  *output_count_out = input_count;
  return ARREARS_STATUS_OK;
}

static arrears_status_t h_propose(void *instance, const arrears_contact_request_input_t *requests,
                                  size_t request_stride_bytes, size_t request_count,
                                  arrears_contact_proposal_output_t *outputs,
                                  size_t output_stride_bytes, size_t output_capacity,
                                  size_t *output_count_out, arrears_error_buffer_t *error) {
  (void)error;
  hostile_t *self = instance;
  if (self->in_propose) misbehave(self->mode, outputs, output_capacity * output_stride_bytes);
  int garbage = self->in_propose && strcmp(self->mode, "garbage") == 0;
  size_t written = 0;
  for (size_t i = 0; i < request_count && written < output_capacity; i++) {
    const arrears_contact_request_input_t *request =
        (const arrears_contact_request_input_t *)((const char *)requests +
                                                  i * request_stride_bytes);
    size_t point = request->contact_point_count;
    for (size_t p = 0; p < request->contact_point_count; p++) {
      if (request->contact_points[p].channel == ARREARS_CHANNEL_EMAIL &&
          request->contact_points[p].consent && !request->contact_points[p].opted_out) {
        point = p;
        break;
      }
    }
    if (point == request->contact_point_count || request->step_count == 0) continue;
    arrears_contact_proposal_output_t *output =
        (arrears_contact_proposal_output_t *)((char *)outputs + written * output_stride_bytes);
    output->request_index = (uint32_t)i;
    output->contact_point_index = (uint32_t)point;
    output->channel = garbage ? 99 : ARREARS_CHANNEL_EMAIL;
    output->at_unix_us = ((int64_t)request->as_of_days * 86400 + 15 * 3600) * 1000000;
    size_t len = request->steps[0].template_id.len_bytes;
    if (len > sizeof output->template_id) len = sizeof output->template_id;
    memcpy(output->template_id, request->steps[0].template_id.ptr, len);
    output->template_len_bytes = (uint32_t)len;
    written += 1;
  }
  *output_count_out = written;
  return ARREARS_STATUS_OK;
}

static const arrears_plugin_descriptor_t DESCRIPTOR = {
    .magic = ARREARS_MAGIC,
    .struct_size = sizeof(arrears_plugin_descriptor_t),
    .abi_major = ARREARS_ABI_VERSION_MAJOR,
    .abi_minor = ARREARS_ABI_VERSION_MINOR,
    .capabilities = ARREARS_CAPABILITY_SCORER | ARREARS_CAPABILITY_CONTACT_STRATEGY,
    .name = {(const uint8_t *)NAME, sizeof NAME - 1},
    .version = {(const uint8_t *)VERSION, sizeof VERSION - 1},
    .build_fingerprint = {(const uint8_t *)NAME, sizeof NAME - 1},
    .init = h_init,
    .destroy = h_destroy,
    .score_batch = h_score,
    .propose_contacts_batch = h_propose,
};

const arrears_plugin_descriptor_t *arrears_plugin_entry_v1(void) { return &DESCRIPTOR; }
