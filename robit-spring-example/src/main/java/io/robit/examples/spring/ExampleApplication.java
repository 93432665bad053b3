package io.robit.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A Spring Boot service on Robit: {@link AccountService} deposits under a per-account lock and
 * writes with the fencing token, {@link ReportJob} runs on one instance at a time. Locks live in
 * Redis ({@code robit.backend}), data in PostgreSQL.
 */
@SpringBootApplication
@EnableScheduling
public class ExampleApplication {
    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
