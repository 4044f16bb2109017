# What the server refuses from peers although upstream accepts it:
# endpoints and candidates that point nowhere useful, small-order keys.

UNIT_TESTS += $(B)/regress/test_inputs

$(B)/regress/test_inputs: $(call obj,regress/unit/test_inputs.c \
	$(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_SODIUM) $(LIB_BSD)
