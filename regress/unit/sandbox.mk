UNIT_TESTS += $(B)/regress/test_sandbox
$(B)/regress/test_sandbox: $(call obj,regress/unit/test_sandbox.c \
	$(COMPAT_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_EVENT) $(LIB_BSD)

# The filter's tables per architecture (a script: cross compilers).
UNIT_TESTS += $(B)/regress/test_sandbox_arch
$(B)/regress/test_sandbox_arch: regress/unit/sandbox_arch.sh \
	compat/pledge_linux.c compat/unveil_linux.c
	@mkdir -p $(dir $@)
	cp regress/unit/sandbox_arch.sh $@
	chmod 0755 $@
