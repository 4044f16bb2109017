# The engine's mirror of a server database (visibility rule, lookups) and
# the upstream JSON shapes.

UNIT_TESTS += $(B)/regress/test_netstate $(B)/regress/test_json \
	$(B)/regress/test_pin

ENGINE_TEST_LIBS = $(LIB_EVENT) $(LIB_JANSSON) $(LIB_SODIUM) $(LIB_BSD)

$(B)/regress/test_netstate: $(call obj,regress/unit/test_netstate.c \
	innernetd/netstate.c innernetd/json.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_TEST_LIBS)

$(B)/regress/test_json: $(call obj,regress/unit/test_json.c \
	innernetd/netstate.c innernetd/json.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_TEST_LIBS)

$(B)/regress/test_pin: $(call obj,regress/unit/test_pin.c \
	innernetd/pin.c innernetd/netstate.c innernetd/json.c $(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ENGINE_TEST_LIBS)
