"""The register: local authorities, RCCs, providers, homes and their vacancies."""
