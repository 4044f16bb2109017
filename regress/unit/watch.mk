# The watch extension's deltas (innernetd/delta.c): random change
# sequences against full states, hostile deltas, versions, gzip.

UNIT_TESTS += $(B)/regress/test_delta

$(B)/regress/test_delta: $(call obj,regress/unit/test_delta.c \
	innernetd/delta.c innernetd/netstate.c innernetd/json.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_TEST_LIBS) $(LIB_Z)
