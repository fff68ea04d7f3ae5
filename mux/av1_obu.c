/*
 * AV1 OBU and sequence header reading: see av1_obu.h.
 * Section numbers are those of the AV1 Bitstream & Decoding Process
 * Specification.
 */
#include "mux/av1_obu.h"

#include <string.h>

#include "ladder/error.h"

int ladder_av1_read_leb128(const uint8_t *buf, size_t size, uint64_t *value, size_t *len)
{
    if (!buf || !value || !len)
        return LADDER_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        if (i >= size)
            return LADDER_EINVAL;
        v |= (uint64_t)(buf[i] & 0x7f) << (i * 7);
        if (!(buf[i] & 0x80)) {
            /* 4.10.5: the value must fit in 32 bits. */
            if (v > UINT32_MAX)
                return LADDER_EINVAL;
            *value = v;
            *len = i + 1;
            return 0;
        }
    }
    return LADDER_EINVAL;   /* a ninth byte would be needed */
}

int ladder_av1_obu_parse(const uint8_t *buf, size_t size, ladder_av1_obu *obu)
{
    if (!buf || !obu || size < 1)
        return LADDER_EINVAL;
    /* 5.3.2: forbidden bit, type (4), extension flag, has_size, reserved. */
    uint8_t h = buf[0];
    if (h & 0x80)
        return LADDER_EINVAL;
    memset(obu, 0, sizeof(*obu));
    obu->type = (h >> 3) & 0x0f;
    obu->has_extension = (h >> 2) & 1;
    bool has_size = (h >> 1) & 1;
    size_t pos = 1;
    if (obu->has_extension) {
        /* 5.3.3: temporal_id (3), spatial_id (2), reserved (3). */
        if (size < 2)
            return LADDER_EINVAL;
        obu->temporal_id = buf[1] >> 5;
        obu->spatial_id = (buf[1] >> 3) & 3;
        pos = 2;
    }
    uint64_t payload_size;
    if (has_size) {
        size_t n;
        if (ladder_av1_read_leb128(buf + pos, size - pos, &payload_size, &n))
            return LADDER_EINVAL;
        pos += n;
        if (payload_size > size - pos)
            return LADDER_EINVAL;
    } else {
        payload_size = size - pos;
    }
    obu->data = buf;
    obu->size = pos + (size_t)payload_size;
    obu->payload = buf + pos;
    obu->payload_size = (size_t)payload_size;
    return 0;
}

int ladder_av1_find_obu(const uint8_t *buf, size_t size, int type, ladder_av1_obu *obu)
{
    if (!buf || !obu)
        return LADDER_EINVAL;
    size_t pos = 0;
    while (pos < size) {
        ladder_av1_obu o;
        if (ladder_av1_obu_parse(buf + pos, size - pos, &o))
            return LADDER_EINVAL;
        if (o.type == type) {
            *obu = o;
            return 0;
        }
        pos += o.size;
    }
    return LADDER_EINVAL;
}

/* MSB-first bit reader over a payload (4.10.2 f(n)). */
typedef struct bit_reader {
    const uint8_t *buf;
    size_t size_bits, pos;
    bool overrun;
} bit_reader;

static uint32_t get_bits(bit_reader *br, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        if (br->pos >= br->size_bits) {
            br->overrun = true;
            return 0;
        }
        v = (v << 1) | ((br->buf[br->pos >> 3] >> (7 - (br->pos & 7))) & 1);
        br->pos++;
    }
    return v;
}

/* uvlc() (4.10.3): only skipped here, but its length depends on it. */
static void skip_uvlc(bit_reader *br)
{
    int leading_zeros = 0;
    while (!br->overrun && !get_bits(br, 1))
        leading_zeros++;
    if (leading_zeros < 32)
        (void)get_bits(br, leading_zeros);
}

int ladder_av1_parse_sequence_header(const uint8_t *payload, size_t size,
                                     ladder_av1_sequence_header *out)
{
    if (!payload || !out || size > SIZE_MAX / 8)
        return LADDER_EINVAL;
    bit_reader br = { payload, size * 8, 0, false };
    ladder_av1_sequence_header sh;
    memset(&sh, 0, sizeof(sh));

    sh.profile = (int)get_bits(&br, 3);
    if (sh.profile > 2)
        return LADDER_EINVAL;
    sh.still_picture = get_bits(&br, 1);
    bool reduced = get_bits(&br, 1);
    if (reduced) {
        sh.level = (int)get_bits(&br, 5);
    } else {
        bool decoder_model_info_present = false;
        int buffer_delay_length = 0;
        if (get_bits(&br, 1)) {                   /* timing_info_present_flag */
            get_bits(&br, 32);                    /* num_units_in_display_tick */
            get_bits(&br, 32);                    /* time_scale */
            if (get_bits(&br, 1))                 /* equal_picture_interval */
                skip_uvlc(&br);                   /* num_ticks_per_picture_minus_1 */
            decoder_model_info_present = get_bits(&br, 1);
            if (decoder_model_info_present) {
                buffer_delay_length = (int)get_bits(&br, 5) + 1;
                get_bits(&br, 32);                /* num_units_in_decoding_tick */
                get_bits(&br, 5);                 /* buffer_removal_time_length_minus_1 */
                get_bits(&br, 5);                 /* frame_presentation_time_length_minus_1 */
            }
        }
        bool initial_display_delay_present = get_bits(&br, 1);
        int operating_points = (int)get_bits(&br, 5) + 1;
        for (int i = 0; i < operating_points && !br.overrun; i++) {
            get_bits(&br, 12);                    /* operating_point_idc[i] */
            int level = (int)get_bits(&br, 5);
            int tier = level > 7 ? (int)get_bits(&br, 1) : 0;
            if (i == 0) {
                sh.level = level;
                sh.tier = tier;
            }
            if (decoder_model_info_present && get_bits(&br, 1)) {
                get_bits(&br, buffer_delay_length); /* decoder_buffer_delay */
                get_bits(&br, buffer_delay_length); /* encoder_buffer_delay */
                get_bits(&br, 1);                   /* low_delay_mode_flag */
            }
            if (initial_display_delay_present && get_bits(&br, 1))
                get_bits(&br, 4);                 /* initial_display_delay_minus_1 */
        }
    }
    int width_bits = (int)get_bits(&br, 4) + 1;
    int height_bits = (int)get_bits(&br, 4) + 1;
    sh.max_width = (int)get_bits(&br, width_bits) + 1;
    sh.max_height = (int)get_bits(&br, height_bits) + 1;
    if (!reduced && get_bits(&br, 1)) {           /* frame_id_numbers_present_flag */
        get_bits(&br, 4);                         /* delta_frame_id_length_minus_2 */
        get_bits(&br, 3);                         /* additional_frame_id_length_minus_1 */
    }
    get_bits(&br, 3);   /* use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter */
    if (!reduced) {
        get_bits(&br, 4);   /* interintra_compound, masked_compound, warped_motion, dual_filter */
        bool order_hint = get_bits(&br, 1);
        if (order_hint)
            get_bits(&br, 2);                     /* enable_jnt_comp, enable_ref_frame_mvs */
        int force_screen_content_tools = 2;
        if (!get_bits(&br, 1))                    /* seq_choose_screen_content_tools */
            force_screen_content_tools = (int)get_bits(&br, 1);
        if (force_screen_content_tools > 0 && !get_bits(&br, 1)) /* seq_choose_integer_mv */
            get_bits(&br, 1);                     /* seq_force_integer_mv */
        if (order_hint)
            get_bits(&br, 3);                     /* order_hint_bits_minus_1 */
    }
    get_bits(&br, 3);   /* enable_superres, enable_cdef, enable_restoration */
    /* color_config() (5.5.2), as far as bit depth and mono_chrome. */
    bool high_bitdepth = get_bits(&br, 1);
    if (sh.profile == 2 && high_bitdepth)
        sh.bit_depth = get_bits(&br, 1) ? 12 : 10;
    else
        sh.bit_depth = high_bitdepth ? 10 : 8;
    sh.mono_chrome = sh.profile == 1 ? false : get_bits(&br, 1);
    if (br.overrun)
        return LADDER_EINVAL;
    *out = sh;
    return 0;
}

bool ladder_av1_same_sequence_header(const uint8_t *a, size_t a_size,
                                     const uint8_t *b, size_t b_size)
{
    ladder_av1_obu oa, ob;
    if (!a || !b || ladder_av1_find_obu(a, a_size, LADDER_AV1_OBU_SEQUENCE_HEADER, &oa) ||
        ladder_av1_find_obu(b, b_size, LADDER_AV1_OBU_SEQUENCE_HEADER, &ob))
        return false;
    return oa.payload_size == ob.payload_size &&
           !memcmp(oa.payload, ob.payload, oa.payload_size);
}
