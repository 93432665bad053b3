package io.robit.examples.spring;

import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /accounts/{id}/deposits?amount=N}: 200 with the new balance and the fencing token;
 * 409 when the write was fenced off; a {@code LockTimeoutException} (500) when the account stayed
 * locked for the whole wait.
 */
@RestController
public class AccountController {
    private final AccountService service;

    public AccountController(AccountService service) {
        this.service = service;
    }

    @PostMapping("/accounts/{id}/deposits")
    public AccountService.Deposit deposit(@PathVariable long id, @RequestParam long amount) {
        return service.deposit(id, amount);
    }
}
