UNIT_TESTS += $(B)/regress/test_sandbox
$(B)/regress/test_sandbox: $(call obj,regress/unit/test_sandbox.c \
	$(wildcard compat/*.c))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_BSD)
